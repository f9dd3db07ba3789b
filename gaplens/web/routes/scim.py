"""SCIM 2.0 (RFC 7644) under /scim/v2: Users, Groups (teams) and the discovery endpoints,
for Entra ID and Okta provisioning (docs/scim.md). Authenticated by a bearer token an admin issued
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
    Group,
    InvalidSyntaxException,
    InvalidValueException,
    ListResponse,
    NotFoundException,
    NotImplementedException,
    PatchOp,
    Required,
    ResourceType,
    ResponseParameters,
    Schema,
    SCIMException,
    SearchRequest,
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

from gaplens.scim import groups, service
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


async def _raw_body(request: Request) -> bytes:
    return await request.body()


RawBody = Annotated[bytes, Depends(_raw_body)]
"""The body, read on the event loop before the route runs, so that every route that touches
the database is a plain function FastAPI runs in its thread pool: a route that waited on a
row lock on the event loop would stop the request holding that lock from committing (two
creates of one user at once would hang)."""


def json_body(raw: bytes) -> Any:
    try:
        return json.loads(raw)
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


def dump(resource: Any, context: Context, selection: Any = None) -> dict[str, Any]:
    """`resource` as the context serialises it, cut to the attributes the client asked for
    (`attributes` / `excludedAttributes`, RFC 7644 §3.9)."""
    value: dict[str, Any] = resource.model_dump(scim_ctx=context, response_parameters=selection)
    return value


def selection(request: Request) -> ResponseParameters[Any]:
    """The `attributes` and `excludedAttributes` of the query string."""
    asked = {
        name: request.query_params[name]
        for name in ("attributes", "excludedAttributes")
        if name in request.query_params
    }
    parsed: ResponseParameters[Any] = service.parse(ResponseParameters, asked, Context.DEFAULT)
    return parsed


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
    return scim_response(dump(listing, Context.SEARCH_RESPONSE, selection(request)))


@router.post("/Users/.search")
def search_users(request: Request, raw: RawBody, session: DbSession, _: Actor) -> Response:
    """The POST form of a query (RFC 7644 §3.4.3), with the same filters and paging."""
    search = service.parse(SearchRequest, json_body(raw), Context.SEARCH_REQUEST)
    page = service.list_users(
        session, search.filter, search.start_index or 1, search.count or 100, base_url(request)
    )
    listing = ListResponse[ScimUser](
        total_results=page.total,
        start_index=page.start,
        items_per_page=len(page.users),
        resources=page.users,
    )
    return scim_response(dump(listing, Context.SEARCH_RESPONSE, search))


@router.post("/Users")
def create_user(request: Request, raw: RawBody, session: DbSession, actor: Actor) -> Response:
    user = service.parse(ScimUser, json_body(raw), Context.RESOURCE_CREATION_REQUEST)
    created = service.create_user(session, actor, user, base_url(request))
    return scim_response(
        dump(created, Context.RESOURCE_CREATION_RESPONSE),
        201,
        Location=str(created.meta.location if created.meta else ""),
    )


@router.get("/Users/{user_id}")
def get_user(user_id: str, request: Request, session: DbSession, _: Actor) -> Response:
    user = service.get_user(session, user_id, base_url(request))
    return scim_response(dump(user, Context.RESOURCE_QUERY_RESPONSE, selection(request)))


@router.put("/Users/{user_id}")
def replace_user(
    user_id: str, request: Request, raw: RawBody, session: DbSession, actor: Actor
) -> Response:
    user = service.parse(ScimUser, json_body(raw), Context.RESOURCE_REPLACEMENT_REQUEST)
    replaced = service.replace_user(session, actor, user_id, user, base_url(request))
    return scim_response(dump(replaced, Context.RESOURCE_REPLACEMENT_RESPONSE))


@router.patch("/Users/{user_id}")
def patch_user(
    user_id: str, request: Request, raw: RawBody, session: DbSession, actor: Actor
) -> Response:
    patch = service.parse(PatchOp[ScimUser], json_body(raw), Context.RESOURCE_PATCH_REQUEST)
    patched = service.patch_user(session, actor, user_id, patch, base_url(request))
    return scim_response(dump(patched, Context.RESOURCE_PATCH_RESPONSE))


@router.delete("/Users/{user_id}")
def delete_user(user_id: str, session: DbSession, _: Actor) -> Response:
    """Not offered: a person's history stays, so providers deactivate (active=false)."""
    service.get_user(session, user_id, "")  # 404 for an unknown id, as for any user route
    raise NotImplementedException(
        detail="users are deactivated (PATCH active=false), never deleted: history stays"
    )


def _with_members(request: Request) -> bool:
    excluded = request.query_params.get("excludedAttributes", "")
    return "members" not in {a.strip().lower() for a in excluded.split(",")}


@router.get("/Groups")
def list_groups(request: Request, session: DbSession, _: Actor) -> Response:
    total, start, found = groups.list_groups(
        session,
        request.query_params.get("filter"),
        _int(request, "startIndex", 1),
        _int(request, "count", 100),
        base_url(request),
        _with_members(request),
    )
    listing = ListResponse[Group](
        total_results=total, start_index=start, items_per_page=len(found), resources=found
    )
    return scim_response(dump(listing, Context.SEARCH_RESPONSE, selection(request)))


@router.post("/Groups/.search")
def search_groups(request: Request, raw: RawBody, session: DbSession, _: Actor) -> Response:
    search = service.parse(SearchRequest, json_body(raw), Context.SEARCH_REQUEST)
    excluded = {a.lower() for a in search.excluded_attributes or []}
    total, start, found = groups.list_groups(
        session,
        search.filter,
        search.start_index or 1,
        search.count or 100,
        base_url(request),
        "members" not in excluded,
    )
    listing = ListResponse[Group](
        total_results=total, start_index=start, items_per_page=len(found), resources=found
    )
    return scim_response(dump(listing, Context.SEARCH_RESPONSE, search))


@router.post("/Groups")
def create_group(request: Request, raw: RawBody, session: DbSession, actor: Actor) -> Response:
    group = service.parse(Group, json_body(raw), Context.RESOURCE_CREATION_REQUEST)
    created = groups.create_group(session, actor, group, base_url(request))
    return scim_response(
        dump(created, Context.RESOURCE_CREATION_RESPONSE),
        201,
        Location=str(created.meta.location if created.meta else ""),
    )


@router.get("/Groups/{group_id}")
def get_group(group_id: str, request: Request, session: DbSession, _: Actor) -> Response:
    group = groups.get_group(session, group_id, base_url(request), _with_members(request))
    return scim_response(dump(group, Context.RESOURCE_QUERY_RESPONSE, selection(request)))


@router.put("/Groups/{group_id}")
def replace_group(
    group_id: str, request: Request, raw: RawBody, session: DbSession, actor: Actor
) -> Response:
    group = service.parse(Group, json_body(raw), Context.RESOURCE_REPLACEMENT_REQUEST)
    replaced = groups.replace_group(session, actor, group_id, group, base_url(request))
    return scim_response(dump(replaced, Context.RESOURCE_REPLACEMENT_RESPONSE))


@router.patch("/Groups/{group_id}")
def patch_group(
    group_id: str, request: Request, raw: RawBody, session: DbSession, actor: Actor
) -> Response:
    groups.find_team(session, group_id)  # an unknown group is a 404 before the body is parsed
    body = groups.entra_patch(json_body(raw))
    patch = service.parse(PatchOp[Group], body, Context.RESOURCE_PATCH_REQUEST)
    patched = groups.patch_group(session, actor, group_id, patch, base_url(request))
    return scim_response(dump(patched, Context.RESOURCE_PATCH_RESPONSE))


@router.delete("/Groups/{group_id}")
def delete_group(group_id: str, session: DbSession, _: Actor) -> Response:
    """Not offered: a team's earlier answers stay with it."""
    groups.find_team(session, group_id)
    raise NotImplementedException(
        detail="teams are never deleted by SCIM: their earlier survey data stays with them"
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
    return [ResourceType.from_resource(ScimUser), ResourceType.from_resource(Group)]


USER_ATTRIBUTES = {"userName", "displayName", "userType", "active", "emails", "preferredLanguage"}
ENTERPRISE_ATTRIBUTES = {"department"}
GROUP_ATTRIBUTES = {"displayName", "members"}
SUB_ATTRIBUTES = {"emails": {"value"}, "members": {"value", "$ref"}}


def _published(schema: Schema, kept: set[str]) -> Schema:
    """Only the attributes gaplens keeps are published, so a client never sends a value
    that would silently be dropped (id, externalId and meta are common to every resource)."""
    schema.attributes = [a for a in schema.attributes or [] if a.name in kept]
    for attribute in schema.attributes:
        if attribute.name in SUB_ATTRIBUTES:
            attribute.sub_attributes = [
                sub
                for sub in attribute.sub_attributes or []
                if sub.name in SUB_ATTRIBUTES[attribute.name]
            ]
    return schema


def _user_schema() -> Schema:
    """RFC 7643's User, with one rule of ours: a person has a work email (in `emails`, or as
    the userName), since invitations go to it."""
    schema = _published(User.to_schema(), USER_ATTRIBUTES)
    for attribute in schema.attributes or []:
        if attribute.name == "userType":
            attribute.canonical_values = list(service.ROLE_LEVELS)
        if attribute.name == "emails":
            attribute.required = Required.true
            for sub in attribute.sub_attributes or []:
                if sub.name == "value":
                    sub.required = Required.true
    return schema


def _schemas() -> list[Schema]:
    return [
        _user_schema(),
        _published(EnterpriseUser.to_schema(), ENTERPRISE_ATTRIBUTES),
        _published(Group.to_schema(), GROUP_ATTRIBUTES),
    ]


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


@router.api_route(
    "/{endpoint:path}", methods=["POST", "PUT", "PATCH", "DELETE"], include_in_schema=False
)
def read_only(endpoint: str, _: Actor) -> Response:
    """The discovery endpoints are read-only (405); anything else is unknown (404)."""
    if endpoint.split("/")[0] in ("ServiceProviderConfig", "ResourceTypes", "Schemas"):
        raise SCIMException.from_error(
            Error(status=405, detail=f"/{endpoint.split('/')[0]} only answers GET")
        )
    raise NotFoundException(detail=f"no SCIM resource '/{endpoint}'")


@router.api_route("/{rest:path}", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
def unknown(rest: str, _: Actor) -> Response:
    """Only Users, Groups and discovery exist: nothing else (responses, invitations)."""
    raise NotFoundException(detail=f"no SCIM resource '/{rest}'")


__all__ = ["Error", "install_scim_errors", "router"]
