"""/v1/saved-searches: searches that alert when a new dispatch matches."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException
from fastapi.responses import Response

from pipeline.http.deps import INVALID, UNAUTHORIZED, UNAVAILABLE, ErrorBody, Subscriber, Svc
from pipeline.store import saved_searches as saved_searches

router = APIRouter(responses={**UNAUTHORIZED, **UNAVAILABLE})


@router.post(
    "/v1/saved-searches",
    status_code=201,
    summary="Save a search that alerts (words or at least one filter; page, stream, "
    "and its webhooks and e-mail digest)",
    responses=INVALID,
)
def create_saved_search(
    svc: Svc, item: saved_searches.SavedSearchIn, owner: Subscriber
) -> saved_searches.SavedSearch:
    return saved_searches.save(svc.es(), svc.settings, owner, item)


@router.get("/v1/saved-searches", summary="Your saved searches")
def list_saved_searches(svc: Svc, owner: Subscriber) -> list[saved_searches.SavedSearch]:
    """Webhook signing keys are shown once, when the search is saved; masked here."""
    return [
        s.model_copy(update={"delivery": s.delivery.masked()})
        for s in saved_searches.list_saved(svc.es(), svc.settings, None if not svc.keys else owner)
    ]


@router.delete(
    "/v1/saved-searches/{ident}",
    status_code=204,
    summary="Delete one of your saved searches",
    responses={404: {"model": ErrorBody, "description": "You have no saved search with this id"}},
)
def delete_saved_search(svc: Svc, ident: str, owner: Subscriber) -> Response:
    mine = {
        x.id
        for x in saved_searches.list_saved(svc.es(), svc.settings, None if not svc.keys else owner)
    }
    if ident not in mine or not saved_searches.delete(svc.es(), svc.settings, ident):
        raise HTTPException(404, f"no saved search {ident}")
    return Response(status_code=204)
