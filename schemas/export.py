"""Write the JSON Schema files from the typed models: `python -m schemas.export`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from schemas.dispatch import DeadLetter, Dispatch, Event, EventRetraction

HERE = Path(__file__).parent
MODELS: dict[str, type[BaseModel]] = {
    "dispatch.schema.json": Dispatch,
    "event.schema.json": Event,
    "event-retraction.schema.json": EventRetraction,
    "dead-letter.schema.json": DeadLetter,
}


def render(model: type[BaseModel]) -> str:
    schema: dict[str, Any] = model.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = f"https://wirestream.dev/schemas/{model.__name__.lower()}.schema.json"
    return json.dumps(schema, indent=2, ensure_ascii=False, sort_keys=True) + "\n"


def main() -> None:
    for name, model in MODELS.items():
        (HERE / name).write_text(render(model), encoding="utf-8")
        print(f"wrote schemas/{name}")


if __name__ == "__main__":
    main()
