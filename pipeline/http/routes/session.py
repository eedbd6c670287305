"""/v1/session: the web page logs in with an API key and gets a session cookie.

The cookie is signed (pipeline.http.auth.SessionSigner), HttpOnly (page scripts cannot
read it), SameSite=Strict (no other site can make the browser send it), Secure when the
service is reached over https, and names the key by its SHA-256. EventSource and fetch
send it by themselves, so the key never appears in a URL, the history or a proxy log.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Cookie, HTTPException, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field

from pipeline.http.auth import SESSION_COOKIE, Scope
from pipeline.http.deps import INVALID, ErrorBody, Svc, fingerprint

router = APIRouter(tags=["session"])


class Login(BaseModel):
    api_key: str = Field(min_length=1, max_length=4096, description="One of WIRE_API_KEYS")


class SessionState(BaseModel):
    authenticated: bool = Field(description="Whether this request carries a valid session")
    auth_required: bool = Field(description="Whether the service needs keys at all")
    scopes: list[Scope] = Field(description="What the session may do")
    expires: datetime | None = None


def _secure(request: Request) -> bool:
    forwarded = request.headers.get("x-forwarded-proto", "").split(",")[0].strip()
    return request.url.scheme == "https" or forwarded == "https"


@router.post(
    "/v1/session",
    summary="Log in with an API key: sets the session cookie the web page uses",
    response_model=SessionState,
    responses={
        401: {"model": ErrorBody, "description": "Unknown API key"},
        **INVALID,
    },
)
def login(svc: Svc, body: Login, request: Request) -> JSONResponse:
    if not svc.keys:
        state = SessionState(authenticated=True, auth_required=False, scopes=list(Scope))
        return JSONResponse(state.model_dump(mode="json"))
    if body.api_key not in svc.keys:
        raise HTTPException(401, "unknown API key")
    token, expires = svc.sessions.issue(fingerprint(body.api_key))
    state = SessionState(
        authenticated=True,
        auth_required=True,
        scopes=sorted(svc.keys[body.api_key]),
        expires=datetime.fromtimestamp(expires, UTC),
    )
    response = JSONResponse(state.model_dump(mode="json"))
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=svc.sessions.ttl_s,
        path="/",
        httponly=True,
        samesite="strict",
        secure=_secure(request),
    )
    return response


@router.get("/v1/session", summary="Whether this browser is logged in, and its scopes")
def session_state(
    svc: Svc,
    cookie: Annotated[
        str | None,
        Cookie(alias=SESSION_COOKIE, description="The session cookie, when there is one"),
    ] = None,
) -> SessionState:
    if not svc.keys:
        return SessionState(authenticated=True, auth_required=False, scopes=list(Scope))
    who = svc.sessions.verify(cookie) if cookie else None
    key = svc.key_by_fingerprint.get(who) if who else None
    if key is None:
        return SessionState(authenticated=False, auth_required=True, scopes=[])
    expires = svc.sessions.expires(cookie) if cookie else None
    return SessionState(
        authenticated=True,
        auth_required=True,
        scopes=sorted(svc.keys[key]),
        expires=datetime.fromtimestamp(expires, UTC) if expires else None,
    )


@router.delete("/v1/session", status_code=204, summary="Log out: the cookie is removed")
def logout(request: Request) -> Response:
    response = Response(status_code=204)
    response.delete_cookie(
        SESSION_COOKIE, path="/", httponly=True, samesite="strict", secure=_secure(request)
    )
    return response
