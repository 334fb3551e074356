"""Background job schemas."""

from marshmallow import Schema, fields


class LineError(Schema):
    line = fields.Integer()
    message = fields.String()


class JobOut(Schema):
    id = fields.Integer()
    kind = fields.String()
    status = fields.String()
    processed = fields.Integer()
    total = fields.Integer()
    succeeded = fields.Integer()
    errors = fields.List(fields.Nested(LineError))
    message = fields.String()


class JobQueuedOut(Schema):
    job_id = fields.Integer()
    status = fields.String()
