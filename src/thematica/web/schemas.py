"""Request bodies of the JSON API (responses are the service layer's row dataclasses)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid", str_max_length=100_000)


class SignIn(Body):
    user: str = Field(min_length=1, max_length=200)
    password: str = Field(min_length=1, max_length=1000)


class PasswordChange(Body):
    current: str = Field(max_length=1000)
    new: str = Field(min_length=8, max_length=1000)


class TokenRequest(Body):
    label: str = Field(default="", max_length=200)
    days: int | None = Field(default=None, ge=1, le=3650)


class InviteAccept(Body):
    token: str = Field(min_length=1, max_length=200)
    password: str = Field(min_length=8, max_length=1000)


class NewProject(Body):
    name: str = Field(min_length=1, max_length=200)


class NewMember(Body):
    user: str = Field(min_length=1, max_length=200)
    role: str = Field(min_length=1, max_length=20)
    display_name: str | None = Field(default=None, max_length=200)


class RoleChange(Body):
    role: str = Field(min_length=1, max_length=20)


class SettingsChange(Body):
    blind: bool | None = None
    coders_add_codes: bool | None = None
