"""A topology picture as SVG, drawn by our own code (no graphviz): deterministic, layered by role.

Rows from the core down: P routers, PE routers, customer equipment, then anything else (crawled or
external peers). Within a row, nodes are sorted by name and spread evenly; every link is a straight
line with each end's interface name written near its device. Routing adjacencies between two of the
devices are dashed curves beside the links, one per protocol and pair, labelled with the protocol and
red while either end sees them down. Pure: data in, text out.
"""

from __future__ import annotations

import math
from typing import Any
from xml.sax.saxutils import escape, quoteattr

ROLE_ROWS = {"p": 0, "core": 0, "pe": 1, "edge": 1, "cpe": 2, "ce": 2}
NODE_W, NODE_H = 132, 50
COL_GAP, ROW_GAP, MARGIN, TITLE_H = 90, 120, 50, 40
FILL = {0: "#dbe8f7", 1: "#dff2df", 2: "#fbeed5", 3: "#ececec"}
# colour, bulge (share of the length; the sign picks the side of the link, so the two never cross)
ADJACENCY = {"bgp": ("#7b3fa0", 0.22), "ospf": ("#2e7d32", -0.16)}
DOWN = "#b00020"


def _row(node: dict[str, Any]) -> int:
    return ROLE_ROWS.get(str(node.get("role", "")).lower(), 3)


def layout(nodes: list[dict[str, Any]]) -> tuple[dict[str, tuple[float, float]], float, float]:
    """Centre of each node by name, and the drawing's width and height."""
    rows: dict[int, list[str]] = {}
    for node in sorted(nodes, key=lambda n: (_row(n), n["name"])):
        rows.setdefault(_row(node), []).append(node["name"])
    widest = max((len(names) for names in rows.values()), default=1)
    width = 2 * MARGIN + widest * NODE_W + (widest - 1) * COL_GAP
    centres: dict[str, tuple[float, float]] = {}
    for level, row_index in enumerate(sorted(rows)):
        names = rows[row_index]
        row_width = len(names) * NODE_W + (len(names) - 1) * COL_GAP
        x0 = (width - row_width) / 2 + NODE_W / 2
        y = MARGIN + TITLE_H + NODE_H / 2 + level * (NODE_H + ROW_GAP)
        for i, name in enumerate(names):
            centres[name] = (x0 + i * (NODE_W + COL_GAP), y)
    height = 2 * MARGIN + TITLE_H + max(len(rows), 1) * (NODE_H + ROW_GAP) - ROW_GAP
    return centres, width, height


def _edge_point(cx: float, cy: float, tx: float, ty: float) -> tuple[float, float]:
    """Where the line from a node's centre towards (tx, ty) leaves its box."""
    dx, dy = tx - cx, ty - cy
    if dx == 0 and dy == 0:
        return cx, cy
    scale = min((NODE_W / 2) / abs(dx) if dx else math.inf, (NODE_H / 2) / abs(dy) if dy else math.inf)
    return cx + dx * scale, cy + dy * scale


def _pairs(adjacencies: list[dict[str, Any]]) -> dict[tuple[str, str, str], bool]:
    """(protocol, one end, other end) -> up, for adjacencies between two drawn devices; either end's
    view of it counts, and it is up only while no end sees it down."""
    pairs: dict[tuple[str, str, str], bool] = {}
    for adj in adjacencies:
        if not adj.get("peer") or adj["peer"] == adj["device"]:
            continue
        a, b = sorted((str(adj["device"]), str(adj["peer"])))
        key = (str(adj["protocol"]), a, b)
        pairs[key] = pairs.get(key, True) and bool(adj["up"])
    return pairs


def _adjacency_curves(pairs: dict[tuple[str, str, str], bool], centres: dict[str, tuple[float, float]]) -> list[str]:
    out: list[str] = []
    for (protocol, a, b), up in sorted(pairs.items()):
        if a not in centres or b not in centres:
            continue
        colour, bulge = ADJACENCY.get(protocol, ("#555555", 0.2))
        colour = colour if up else DOWN
        (ax, ay), (bx, by) = _edge_point(*centres[a], *centres[b]), _edge_point(*centres[b], *centres[a])
        # control point off the middle, perpendicular to the line: the curve stays clear of the link
        mx, my, dx, dy = (ax + bx) / 2, (ay + by) / 2, bx - ax, by - ay
        cx, cy = mx - dy * bulge, my + dx * bulge
        label_x, label_y = (mx + cx) / 2, (my + cy) / 2
        out.append(
            f'<path d="M {ax:.1f} {ay:.1f} Q {cx:.1f} {cy:.1f} {bx:.1f} {by:.1f}" fill="none" stroke="{colour}" '
            f'stroke-width="1.5" stroke-dasharray="6,4"><title>{escape(f"{protocol} {a} - {b}")}</title></path>'
        )
        out.append(
            f'<text x="{label_x:.1f}" y="{label_y:.1f}" font-size="10" text-anchor="middle" fill="{colour}" '
            f'stroke="#ffffff" stroke-width="3" paint-order="stroke">{escape(protocol)}</text>'
        )
    return out


def render_svg(topology: dict[str, Any], title: str = "Network topology") -> str:
    nodes: list[dict[str, Any]] = topology["nodes"]
    centres, width, height = layout(nodes)
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" height="{height:.0f}" '
        f'viewBox="0 0 {width:.0f} {height:.0f}" font-family="DejaVu Sans, Arial, sans-serif">',
        f'<rect width="{width:.0f}" height="{height:.0f}" fill="#ffffff"/>',
        f'<text x="{MARGIN}" y="{MARGIN}" font-size="18" font-weight="bold">{escape(title)}</text>',
        f'<text x="{MARGIN}" y="{MARGIN + 20}" font-size="12" fill="#555555">'
        f"{len(nodes)} devices, {len(topology['links'])} links, "
        f"{len(_pairs(topology.get('adjacencies', [])))} adjacencies</text>",
        '<g stroke="#4a4a4a" stroke-width="2">',
    ]
    labels: list[str] = []
    for link in topology["links"]:
        if link["a"] not in centres or link["b"] not in centres:
            continue
        (ax, ay), (bx, by) = centres[link["a"]], centres[link["b"]]
        sx, sy = _edge_point(ax, ay, bx, by)
        ex, ey = _edge_point(bx, by, ax, ay)
        out.append(f'<line x1="{sx:.1f}" y1="{sy:.1f}" x2="{ex:.1f}" y2="{ey:.1f}"/>')
        for (px, py), (qx, qy), name in (
            ((sx, sy), (ex, ey), link["a_interface"]),
            ((ex, ey), (sx, sy), link["b_interface"]),
        ):
            lx, ly = px + (qx - px) * 0.18, py + (qy - py) * 0.18
            labels.append(
                f'<text x="{lx:.1f}" y="{ly - 4:.1f}" font-size="11" text-anchor="middle" fill="#1f4e8c" '
                f'stroke="#ffffff" stroke-width="3" paint-order="stroke">{escape(str(name))}</text>'
            )
    out.append("</g>")
    pairs = _pairs(topology.get("adjacencies", []))
    out.extend(_adjacency_curves(pairs, centres))
    for node in sorted(nodes, key=lambda n: n["name"]):
        cx, cy = centres[node["name"]]
        x, y = cx - NODE_W / 2, cy - NODE_H / 2
        dashed = ' stroke-dasharray="5,3"' if node.get("discovered") or node.get("role") == "external" else ""
        stroke = "#b00020" if node.get("reachable") is False else "#333333"
        subtitle = " ".join(str(node.get(k) or "") for k in ("role", "host")).strip()
        out.append(
            f'<g id={quoteattr("node-" + node["name"])}><rect x="{x:.1f}" y="{y:.1f}" width="{NODE_W}" '
            f'height="{NODE_H}" rx="8" fill="{FILL[_row(node)]}" stroke="{stroke}" stroke-width="1.5"{dashed}/>'
            f'<text x="{cx:.1f}" y="{cy - 3:.1f}" font-size="15" font-weight="bold" text-anchor="middle">'
            f"{escape(node['name'])}</text>"
            f'<text x="{cx:.1f}" y="{cy + 15:.1f}" font-size="10" text-anchor="middle" fill="#444444">'
            f"{escape(subtitle)}</text></g>"
        )
    out.extend(labels)
    out.append("</svg>")
    return "\n".join(out) + "\n"
