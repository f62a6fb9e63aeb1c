"""The one error the engine raises for bad input."""


class InvalidRequest(ValueError):
    """The analysis request does not follow the contract.

    `str(err)` is a one-line reason naming the field; `code` is a stable
    machine-readable tag for API error bodies.
    """

    def __init__(self, message: str, code: str = "invalid_request"):
        super().__init__(message)
        self.code = code
