"""protobuf parsing: messages, fields, enums, services, lines and comments; syntax errors isolated."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from planvec.kinds.base import Source
from planvec.kinds.schemas.proto import looks_like, mask, parse_proto, top_level_spans
from planvec.kinds.schemas.records import SchemaFile

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "schemas"


def parse(text: str, rel: str = "x.proto") -> SchemaFile:
    return parse_proto(Source(rel, text))


def by_name(sf: SchemaFile) -> dict:
    return {e.name: e for e in sf.elements}


@pytest.fixture(scope="module")
def shop() -> SchemaFile:
    return parse((FIXTURES / "shop.proto").read_text(encoding="utf-8"), "proto/shop.proto")


def test_shop_elements(shop: SchemaFile) -> None:
    assert shop.problems == ()
    assert Counter(e.element for e in shop.elements) == {
        "message": 5,
        "field": 19,
        "enum": 1,
        "service": 1,
        "rpc": 3,
    }
    # A message named in a block comment or a string literal is not a message.
    assert not any("Ghost" in e.name or "Fake" in e.name for e in shop.elements)
    assert all(e.format == "proto" and e.attributes["package"] == "shop.v1" for e in shop.elements)


def test_messages_nested_with_lines_and_comments(shop: SchemaFile) -> None:
    names = by_name(shop)
    order = names["shop.v1.Order"]
    assert (order.line, order.description) == (23, "A customer order. Totals are in cents.")
    assert order.references == ("shop.v1.Order.LineItem", "google.protobuf.Timestamp", "shop.v1.OrderStatus")
    assert order.attributes["reserved"] == ["9", "10", "legacy_total"]
    item = names["shop.v1.Order.LineItem"]
    assert (item.line, item.parent, item.description) == (
        39,
        "shop.v1.Order",
        "One product line of an order.",
    )
    discount = names["shop.v1.Order.LineItem.Discount"]
    assert (discount.line, discount.parent) == (45, "shop.v1.Order.LineItem")
    # A field after a nested message is found after it.
    assert names["shop.v1.Order.note"].line == 50


def test_fields_types_labels_maps_oneofs(shop: SchemaFile) -> None:
    names = by_name(shop)
    ident = names["shop.v1.Order.id"]
    assert (ident.type, ident.line, ident.attributes["number"], ident.description) == (
        "string",
        24,
        1,
        "opaque, server-assigned",
    )
    items = names["shop.v1.Order.items"]
    assert (items.type, items.attributes["label"], items.references) == (
        "LineItem",
        "repeated",
        ("shop.v1.Order.LineItem",),
    )
    by_sku = names["shop.v1.Order.items_by_sku"]
    assert by_sku.type == "map<string, LineItem>"
    assert (by_sku.attributes["key_type"], by_sku.attributes["value_type"]) == ("string", "LineItem")
    assert by_sku.references == ("shop.v1.Order.LineItem",)
    # Imported types stay as written; scalar types are no reference.
    assert names["shop.v1.Order.created_at"].references == ("google.protobuf.Timestamp",)
    assert names["shop.v1.Order.id"].references == ()
    coupon = names["shop.v1.Order.coupon"]
    assert coupon.attributes["label"] == "optional"
    assert coupon.attributes["options"] == {"deprecated": "True"}
    card = names["shop.v1.Order.card_token"]
    assert (card.attributes["oneof"], card.line, card.description) == (
        "payment",
        32,
        "Card token from the payment provider.",
    )
    # Scoping: `Discount` inside LineItem is LineItem.Discount; `OrderStatus` is the package's.
    assert names["shop.v1.Order.LineItem.discount"].references == ("shop.v1.Order.LineItem.Discount",)
    assert names["shop.v1.OrderEvent.status"].references == ("shop.v1.OrderStatus",)


def test_enums_services_rpcs(shop: SchemaFile) -> None:
    names = by_name(shop)
    status = names["shop.v1.OrderStatus"]
    assert status.line == 14
    assert status.description == "Status of an order through its life."
    assert status.attributes["values"] == {
        "ORDER_STATUS_UNSPECIFIED": 0,
        "ORDER_STATUS_PLACED": 1,
        "ORDER_STATUS_PAID": 2,
        "ORDER_STATUS_SHIPPED": 3,
    }
    service = names["shop.v1.OrderService"]
    assert (service.line, service.attributes["rpcs"]) == (64, ["PlaceOrder", "WatchOrders", "ListItems"])
    place = names["shop.v1.OrderService.PlaceOrder"]
    assert (place.type, place.line, place.parent) == ("unary", 66, "shop.v1.OrderService")
    assert place.references == ("shop.v1.PlaceOrderRequest", "shop.v1.Order")
    assert place.description == "Places an order; returns it with its id."
    watch = names["shop.v1.OrderService.WatchOrders"]
    assert (
        watch.type,
        watch.line,
        watch.attributes["client_streaming"],
        watch.attributes["server_streaming"],
    ) == (
        "bidi_streaming",
        73,
        True,
        True,
    )
    listing = names["shop.v1.OrderService.ListItems"]
    assert (listing.type, listing.attributes["response"]) == ("server_streaming", "shop.v1.Order.LineItem")


def test_proto2_without_package() -> None:
    text = (
        'syntax = "proto2";\n\nmessage Legacy {\n'
        '  required int32 id = 1;\n  optional string name = 2 [default = "x"];\n}\n'
    )
    sf = parse(text)
    assert sf.problems == ()
    names = by_name(sf)
    assert names["Legacy.id"].attributes["label"] == "required"
    assert names["Legacy.name"].line == 5
    assert "package" not in names["Legacy"].attributes


def test_a_syntax_error_is_one_problem_and_the_rest_is_indexed() -> None:
    text = (
        'syntax = "proto3";\n'
        "package p;\n"
        "message Good {\n"
        "  string a = 1;\n"
        "}\n"
        "message Broken {\n"
        "  string b = ;\n"
        "}\n"
        "service S {\n"
        "  rpc Do(Good) returns (Good);\n"
        "}\n"
    )
    sf = parse(text)
    assert [e.name for e in sf.elements] == ["p.Good", "p.Good.a", "p.S", "p.S.Do"]
    assert by_name(sf)["p.S"].line == 9
    assert len(sf.problems) == 1
    assert sf.problems[0].line == 7
    assert sf.problems[0].reason.startswith("protobuf syntax error:")


@pytest.mark.parametrize(
    "text",
    [
        "this is not protobuf at all {{{",
        'syntax = "proto3";\nmessage Open {\n  string a = 1;\n',
        "}}}}",
        "",
    ],
)
def test_garbage_never_raises(text: str) -> None:
    sf = parse(text)
    assert isinstance(sf, SchemaFile)
    if text.strip():
        assert sf.problems and all(p.line is not None for p in sf.problems)


def test_mask_and_spans_keep_offsets() -> None:
    text = 'a // x {\nb "s;}" c;\n/* { */ d {e;} f'
    masked = mask(text)
    assert len(masked) == len(text) and masked.count("\n") == text.count("\n")
    assert "{" not in masked.split("\n")[0] and "s;" not in masked
    assert [text[a:b].strip() for a, b in top_level_spans(masked)] == ['a // x {\nb "s;}" c;', "d {e;}", "f"]


def test_looks_like() -> None:
    assert looks_like("api/v1/shop.proto", "")
    assert not looks_like("shop.proto.txt", "message A {}")


def test_block_comments_describe_too() -> None:
    text = (
        'syntax = "proto3";\n/**\n * A user.\n * Stored forever.\n */\n'
        "message User {\n  /* the login */\n  string name = 1;\n}\n"
    )
    names = by_name(parse(text))
    assert names["User"].description == "A user. Stored forever."
    assert names["User.name"].description == "the login"


def test_syntax_error_messages_stay_short() -> None:
    sf = parse('syntax = "proto3";\nmessage A { int32 x = 1; }\nmessage B { oops }\n')
    assert [e.name for e in sf.elements] == ["A", "A.x"]
    assert [(p.reason, p.line) for p in sf.problems] == [("protobuf syntax error: mismatched input '}'", 3)]
