"""The binder half of the parser: one action's tokens to a typed, validated operation.

It reads only the declarations in ``core.params`` (the registry every operation module
fills in), so an operation module may bind actions itself -- watermark preprocessing
does -- without importing the parser, which imports every operation module.
"""
from __future__ import annotations

from dataclasses import dataclass

from .errors import OssError
from .params import REGISTRY, Operation
from .suggest import action_suggestion, did_you_mean, key_suggestion


@dataclass(frozen=True)
class Token:
    text: str
    start: int

    @property
    def span(self) -> tuple[int, int]:
        return (self.start, self.start + len(self.text))


def split(text: str, sep: str, start: int) -> list[Token]:
    out, pos = [], start
    for piece in text.split(sep):
        out.append(Token(piece, pos))
        pos += len(piece) + len(sep)
    return out


def bind(index: int, seg: Token) -> Operation:
    tokens = split(seg.text, ",", seg.start)
    name_tok = tokens[0]
    name = name_tok.text
    if name == "":
        raise OssError("InvalidArgument", "Empty action.", step=index, span=seg.span)
    cls = REGISTRY.get(name)
    if cls is None:
        raise OssError("InvalidArgument", f"The action: {name} is not supported."
                       + did_you_mean(action_suggestion(name)),
                       ec="0040-00000213", step=index, action=name, span=name_tok.span)
    values: dict[str, object] = {}
    try:
        if cls.SINGLE_VALUE:
            (spec,) = cls.SPECS
            if len(tokens) == 1 or (len(tokens) == 2 and tokens[1].text == ""):
                raise OssError("MissingArgument",
                               f"Missing value of parameter: {name}.",
                               ec=spec.ec_missing, key=spec.key, span=seg.span)
            if len(tokens) > 2:
                raise OssError("InvalidArgument",
                               f"The action: {name} only takes one value.",
                               ec="0040-00000203", key=spec.key,
                               span=(tokens[2].start, tokens[-1].span[1]))
            try:
                values[spec.key] = spec.decode(tokens[1].text, param_name=name)
            except OssError as e:
                raise e.at(span=tokens[1].span)
        else:
            raw: dict[str, Token] = {}
            for tok in tokens[1:]:
                key, sep, value = tok.text.partition("_")
                if not sep:
                    raise OssError("InvalidArgument",
                                   f"The value: {tok.text} of parameter: {name} is invalid."
                                   "reason:expected key_value"
                                   + did_you_mean(key_suggestion(cls, tok.text), ". "),
                                   ec=cls.EC_UNKNOWN_VALUE, key=tok.text, span=tok.span)
                if cls.spec(key) is None:
                    continue  # OSS tolerates unknown keys (the SDK tests send crop,...,r_1)
                raw[key] = tok  # a repeated key: the later one wins
            cls.precheck({k: t.text.partition("_")[2] for k, t in raw.items()})
            for key, tok in raw.items():
                spec = cls.spec(key)
                value = tok.text.partition("_")[2]
                if value == "":
                    raise OssError("InvalidArgument",
                                   f"The value:  of parameter: {key} is invalid.",
                                   ec=spec.ec_missing or spec.ec, key=key, span=tok.span)
                try:
                    values[key] = spec.decode(value)
                except OssError as e:
                    raise e.at(span=tok.span)
        op = cls(**values)
        op.check()
    except OssError as e:
        raise e.at(step=index, action=name, span=seg.span)
    return op



def bind_actions(body: str, start: int = 0) -> tuple[Operation, ...]:
    """Bind a ``/``-separated list of actions (no ``image/`` prefix, no cascade rules)."""
    return tuple(bind(i, seg) for i, seg in enumerate(split(body, "/", start)))
