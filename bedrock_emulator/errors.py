"""Bedrock's runtime exceptions as the emulator returns them: names, HTTP statuses and wire headers."""

from __future__ import annotations

# name -> (HTTP status, default message); statuses from the botocore 1.44.8 service model.
ERRORS: dict[str, tuple[int, str]] = {
    "ValidationException": (400, "Malformed input request, please reformat your input and try again."),
    "AccessDeniedException": (403, "You don't have access to the model with the specified model ID."),
    "ResourceNotFoundException": (404, "The requested resource could not be found."),
    "ModelTimeoutException": (408, "Model has timed out in processing the request. Try your request again."),
    "ModelErrorException": (424, "The model encountered an error processing the request."),
    "ThrottlingException": (429, "Too many requests, please wait before trying again."),
    "ModelNotReadyException": (
        429,
        "Model is not ready to serve inference requests. The AWS SDK will automatically retry the operation.",
    ),
    "ServiceQuotaExceededException": (
        400,
        "Your request exceeds the service quota for your account. You can "
        "view your quotas at https://aws.amazon.com/console/.",
    ),
    "InternalServerException": (
        500,
        "The system encountered an unexpected error during processing. Try your request again.",
    ),
    "ServiceUnavailableException": (503, "Bedrock is unable to process your request."),
    "SerializationException": (400, "The request body is not valid JSON."),
}

# Members of the ConverseStream union flagged `exception`, with the message each one carries.
STREAM_ERRORS: dict[str, str] = {
    "throttlingException": "Too many requests, please wait before trying again.",
    "modelStreamErrorException": "The model encountered an error while streaming the response.",
    "internalServerException": "The system encountered an unexpected error during processing.",
    "serviceUnavailableException": "Bedrock is unable to process your request.",
    "validationException": "Input is too long for requested model.",
}

CONTEXT_TOO_LONG = "Input is too long for requested model."
_ERROR_TYPE_SUFFIX = ":http://internal.amazon.com/coral/com.amazon.bedrock/"


class BedrockError(Exception):
    """An error Bedrock answers before any stream starts: `x-amzn-ErrorType` header plus `{"message"}`."""

    def __init__(self, name: str, message: str | None = None) -> None:
        status, default = ERRORS[name]
        super().__init__(message or default)
        self.name = name
        self.status = status
        self.message = message or default

    @property
    def error_type_header(self) -> str:
        return name_error_type(self.name)


def validation(message: str) -> BedrockError:
    return BedrockError("ValidationException", message)


def name_error_type(name: str) -> str:
    return name + _ERROR_TYPE_SUFFIX


def canonical_error_name(raw: str) -> str | None:
    """`throttling`, `throttlingexception` and `ThrottlingException` all name the same error."""
    wanted = raw.strip().lower()
    for name in ERRORS:
        if wanted in (name.lower(), name.lower().removesuffix("exception")):
            return name
    return None


def canonical_stream_error(raw: str) -> str | None:
    wanted = raw.strip().lower()
    for member in STREAM_ERRORS:
        if wanted in (member.lower(), member.lower().removesuffix("exception")):
            return member
    return None
