"""One base for every refusal a business rule makes. Services raise a ``DomainError``
subclass; nothing was written when one is raised. APIs answer it as
``{"error": code, "detail": message}`` with its status (ncii_site.api.exception_handler); pages
show the message with the same status. Pure: no Django."""


class DomainError(Exception):
    code = "refused"
    status = 409

    def __init__(
        self, detail: str = "", *, code: str | None = None, status: int | None = None, retry_after: int | None = None
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        if code is not None:
            self.code = code
        if status is not None:
            self.status = status
        self.retry_after = retry_after  # seconds, for a Retry-After header

    def __str__(self) -> str:
        return self.detail


class ReasonRequired(DomainError, ValueError):
    """A change that must say why was asked without a (valid) reason."""

    code = "reason_required"
    status = 400


class NotFound(DomainError, LookupError):
    """The thing does not exist, or the actor may not know it does: the two look the same."""

    code = "not_found"
    status = 404
