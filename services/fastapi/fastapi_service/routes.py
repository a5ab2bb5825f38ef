"""The contract's routes as async FastAPI endpoints."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, PlainTextResponse
from fastapi.templating import Jinja2Templates
from sqlalchemy import select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from fastapi_service.database import get_session
from fastapi_service.errors import require_json_body
from fastapi_service.schemas import CpuResult, Health, IoResult, Message, NewUser, UserOut, WorldRow
from service_common.limits import CPU_N_DEFAULT, CPU_N_MAX, CPU_N_MIN, IO_MS_DEFAULT, IO_MS_MAX, IO_MS_MIN, USER_ID_MAX
from service_common.metrics import render_metrics
from service_common.orm_models import Fortune, User, World
from service_common.params import bounded_int, first_value
from service_common.workload_rules import (
    ADDED_FORTUNE,
    HELLO,
    clamp_queries,
    cpu_work,
    distinct_world_ids,
    random_number,
    random_world_id,
)

router = APIRouter()
templates = Jinja2Templates(directory=Path(__file__).parent / "templates")
Session = Annotated[AsyncSession, Depends(get_session)]


@router.get("/json", response_model=Message)
async def json_route() -> Message:
    return Message(message=HELLO)


@router.get("/plaintext", response_class=PlainTextResponse)
async def plaintext() -> str:
    return HELLO


@router.get("/db", response_model=WorldRow)
async def db(session: Session) -> WorldRow:
    row = await session.get_one(World, random_world_id())
    return WorldRow(id=row.id, randomNumber=row.randomnumber)


def query_value(name: str) -> Callable[[Request], str | None]:
    """A dependency: the first occurrence of query parameter `name` (the contract's rule for repeated ones)."""

    def value(request: Request) -> str | None:
        return first_value(request.scope["query_string"], name)

    return value


def bounded_query(name: str, default: int, low: int, high: int) -> Callable[[Request], int]:
    """A dependency: the first `name` as an integer from `low` to `high`, or the contract's 422."""

    def value(request: Request) -> int:
        result = bounded_int(first_value(request.scope["query_string"], name), default, low, high)
        if isinstance(result, str):
            raise RequestValidationError([{"loc": ("query", name), "msg": result, "type": "int_parsing"}])
        return result

    return value


QueriesParam = Annotated[str | None, Depends(query_value("queries"))]


@router.get("/queries", response_model=list[WorldRow])
async def queries(session: Session, queries: QueriesParam) -> list[WorldRow]:
    rows = []
    for _ in range(clamp_queries(queries)):
        world = (await session.execute(select(World).where(World.id == random_world_id()))).scalar_one()
        rows.append(WorldRow(id=world.id, randomNumber=world.randomnumber))
    return rows


@router.get("/updates", response_model=list[WorldRow])
async def updates(session: Session, queries: QueriesParam) -> list[WorldRow]:
    rows = []
    for world_id in distinct_world_ids(clamp_queries(queries)):
        world = (await session.execute(select(World.id, World.randomnumber).where(World.id == world_id))).one()
        rows.append(WorldRow(id=world.id, randomNumber=random_number()))
    await session.execute(update(World), [{"id": row.id, "randomnumber": row.randomNumber} for row in rows])
    await session.commit()
    return rows


@router.get("/fortunes", response_class=HTMLResponse)
async def fortunes(request: Request, session: Session) -> HTMLResponse:
    rows = [(f.id, f.message) for f in (await session.execute(select(Fortune))).scalars()]
    rows.append((0, ADDED_FORTUNE))
    rows.sort(key=lambda row: row[1])
    return templates.TemplateResponse(request, "fortunes.html", {"fortunes": rows})


@router.get("/api/users/{user_id:int}", response_model=UserOut, responses={404: {"description": "No such user"}})
async def get_user(user_id: int, session: Session) -> UserOut:
    user = await session.get(User, user_id) if 1 <= user_id <= USER_ID_MAX else None
    if user is None:
        raise HTTPException(404)
    return UserOut(id=user.id, name=user.name, email=user.email)


@router.post("/api/users", status_code=201, response_model=UserOut, dependencies=[Depends(require_json_body)])
async def create_user(new_user: NewUser, session: Session, response: Response) -> UserOut:
    user = User(name=new_user.name, email=new_user.email)
    session.add(user)
    await session.commit()
    response.headers["Location"] = f"/api/users/{user.id}"
    return UserOut(id=user.id, name=user.name, email=user.email)


@router.get("/io", response_model=IoResult)
async def io(ms: Annotated[int, Depends(bounded_query("ms", IO_MS_DEFAULT, IO_MS_MIN, IO_MS_MAX))]) -> IoResult:
    await asyncio.sleep(ms / 1000)
    return IoResult(waited_ms=ms)


@router.get("/cpu", response_model=CpuResult)
async def cpu(n: Annotated[int, Depends(bounded_query("n", CPU_N_DEFAULT, CPU_N_MIN, CPU_N_MAX))]) -> CpuResult:
    return CpuResult(n=n, result=cpu_work(n))


@router.get("/health/live", response_model=Health)
async def live() -> Health:
    return Health(status="ok")


@router.get("/health/ready", response_model=Health, responses={503: {"model": Health}})
async def ready(session: Session) -> Health | JSONResponse:
    try:
        await session.execute(text("SELECT 1"))
    except Exception:  # any database failure means "not ready"
        return JSONResponse({"status": "unavailable"}, status_code=503)
    return Health(status="ok")


@router.get("/metrics", include_in_schema=False)
async def metrics(request: Request) -> Response:
    body, content_type = render_metrics(request.headers.get("accept"))
    return Response(body, headers={"content-type": content_type})
