"""SCIM 2.0 (RFC 7644) under /scim/v2: Users, and the discovery endpoints, for Entra ID and
Okta provisioning (docs/scim.md). Authenticated by a bearer token an admin issued
(`gaplens scim token create`); every write is in the audit log under the token's name.
Only directory resources exist here: SCIM cannot read responses or invitations."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Request, Response
from fastapi.responses import JSONResponse
from scim2_models import (
    Context,
    EnterpriseUser,
    Error,
    InvalidSyntaxException,
    InvalidValueException,
    ListResponse,
    NotFoundException,
    NotImplementedException,
    PatchOp,
    ResourceType,
    Schema,
    SCIMException,
    ServiceProviderConfig,
    UnauthorizedException,
    User,
)
from scim2_models.resources.service_provider_config import (
    AuthenticationScheme,
    Bulk,
    ChangePassword,
    ETag,
    Filter,
    Patch,
    Sort,
)

from gaplens.scim import service
from gaplens.scim.service import MAX_PAGE, ScimUser
from gaplens.web.deps import DbSession

PREFIX = "/scim/v2"
MEDIA_TYPE = "application/scim+json"
router = APIRouter(prefix=PREFIX, include_in_schema=False)


def scim_response(payload: dict[str, Any], status: int = 200, **headers: str) -> Response:
    return JSONResponse(payload, status_code=status, media_type=MEDIA_TYPE, headers=headers)


def install_scim_errors(app: FastAPI) -> None:
    """A SCIM error body (status, scimType, detail) for every refusal under /scim."""

    @app.exception_handler(SCIMException)
    async def scim_error(_: Request, error: SCIMException) -> Response:
        body = error.to_error().model_dump(scim_ctx=Context.DEFAULT)
        extra = {"WWW-Authenticate": 'Bearer realm="gaplens SCIM"'} if error.status == 401 else {}
        return scim_response(body, error.status, **extra)


def token_actor(request: Request, session: DbSession) -> str:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    actor = service.token_actor(session, token.strip()) if scheme.lower() == "bearer" else None
    if actor is None:
        raise UnauthorizedException(detail="a valid SCIM bearer token is required")
    return actor


Actor = Annotated[str, Depends(token_actor)]


def base_url(request: Request) -> str:
    return str(request.base_url).rstrip("/") + PREFIX


async def json_body(request: Request) -> Any:
    try:
        return json.loads(await request.body())
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise InvalidSyntaxException(detail="the body is not valid JSON") from None


def _int(request: Request, name: str, default: int) -> int:
    text = request.query_params.get(name)
    if text is None:
        return default
    try:
        return int(text)
    except ValueError:
        raise InvalidValueException(detail=f"{name} must be an integer") from None


def dump(resource: Any, context: Context) -> dict[str, Any]:
    value: dict[str, Any] = resource.model_dump(scim_ctx=context)
    return value


@router.get("/Users")
def list_users(request: Request, session: DbSession, _: Actor) -> Response:
    page = service.list_users(
        session,
        request.query_params.get("filter"),
        _int(request, "startIndex", 1),
        _int(request, "count", 100),
        base_url(request),
    )
    listing = ListResponse[ScimUser](
        total_results=page.total,
        start_index=page.start,
        items_per_page=len(page.users),
        resources=page.users,
    )
    return scim_response(dump(listing, Context.SEARCH_RESPONSE))


@router.post("/Users")
async def create_user(request: Request, session: DbSession, actor: Actor) -> Response:
    user = service.parse(ScimUser, await json_body(request), Context.RESOURCE_CREATION_REQUEST)
    created = service.create_user(session, actor, user, base_url(request))
    return scim_response(
        dump(created, Context.RESOURCE_CREATION_RESPONSE),
        201,
        Location=str(created.meta.location if created.meta else ""),
    )


@router.get("/Users/{user_id}")
def get_user(user_id: str, request: Request, session: DbSession, _: Actor) -> Response:
    user = service.get_user(session, user_id, base_url(request))
    return scim_response(dump(user, Context.RESOURCE_QUERY_RESPONSE))


@router.put("/Users/{user_id}")
async def replace_user(
    user_id: str, request: Request, session: DbSession, actor: Actor
) -> Response:
    user = service.parse(ScimUser, await json_body(request), Context.RESOURCE_REPLACEMENT_REQUEST)
    replaced = service.replace_user(session, actor, user_id, user, base_url(request))
    return scim_response(dump(replaced, Context.RESOURCE_REPLACEMENT_RESPONSE))


@router.patch("/Users/{user_id}")
async def patch_user(user_id: str, request: Request, session: DbSession, actor: Actor) -> Response:
    patch = service.parse(
        PatchOp[ScimUser], await json_body(request), Context.RESOURCE_PATCH_REQUEST
    )
    patched = service.patch_user(session, actor, user_id, patch, base_url(request))
    return scim_response(dump(patched, Context.RESOURCE_PATCH_RESPONSE))


@router.delete("/Users/{user_id}")
def delete_user(user_id: str, session: DbSession, _: Actor) -> Response:
    """Not offered: a person's history stays, so providers deactivate (active=false)."""
    service.get_user(session, user_id, "")  # 404 for an unknown id, as for any user route
    raise NotImplementedException(
        detail="users are deactivated (PATCH active=false), never deleted: history stays"
    )


def service_provider_config(request: Request) -> ServiceProviderConfig:
    return ServiceProviderConfig(
        documentation_uri=None,
        patch=Patch(supported=True),
        bulk=Bulk(supported=False, max_operations=0, max_payload_size=0),
        filter=Filter(supported=True, max_results=MAX_PAGE),
        change_password=ChangePassword(supported=False),
        sort=Sort(supported=False),
        etag=ETag(supported=False),
        authentication_schemes=[
            AuthenticationScheme(
                type="oauthbearertoken",
                name="Bearer token",
                description="A token an admin issues with `gaplens scim token create NAME`",
                primary=True,
            )
        ],
    )


@router.get("/ServiceProviderConfig")
def provider_config(request: Request, _: Actor) -> Response:
    config = service_provider_config(request)
    return scim_response(dump(config, Context.RESOURCE_QUERY_RESPONSE))


def _resource_types() -> list[ResourceType]:
    return [ResourceType.from_resource(ScimUser)]


def _schemas() -> list[Schema]:
    return [User.to_schema(), EnterpriseUser.to_schema()]


@router.get("/ResourceTypes")
def resource_types(_: Actor) -> Response:
    found = _resource_types()
    listing = ListResponse[ResourceType](
        total_results=len(found), start_index=1, items_per_page=len(found), resources=found
    )
    return scim_response(dump(listing, Context.SEARCH_RESPONSE))


@router.get("/ResourceTypes/{type_id}")
def resource_type(type_id: str, _: Actor) -> Response:
    for found in _resource_types():
        if found.id == type_id:
            return scim_response(dump(found, Context.RESOURCE_QUERY_RESPONSE))
    raise NotFoundException(detail=f"no resource type '{type_id}'")


@router.get("/Schemas")
def schemas(_: Actor) -> Response:
    found = _schemas()
    listing = ListResponse[Schema](
        total_results=len(found), start_index=1, items_per_page=len(found), resources=found
    )
    return scim_response(dump(listing, Context.SEARCH_RESPONSE))


@router.get("/Schemas/{schema_id}")
def schema(schema_id: str, _: Actor) -> Response:
    for found in _schemas():
        if found.id == schema_id:
            return scim_response(dump(found, Context.RESOURCE_QUERY_RESPONSE))
    raise NotFoundException(detail=f"no schema '{schema_id}'")


@router.api_route("/{rest:path}", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
def unknown(rest: str, _: Actor) -> Response:
    """Only Users and discovery exist: nothing else (responses, invitations) is reachable."""
    raise NotFoundException(detail=f"no SCIM resource '/{rest}'")


__all__ = ["Error", "install_scim_errors", "router"]
