// One DIMM as a bar: its segments in MFN order, proportional in pages (with a
// minimum width so one-page records stay visible), broken pages as markers.
// The bar is one Tab stop; arrow keys, Home and End move between segments
// (a roving tabindex), and the focused or hovered one shows its exact ranges.
import { useId, useMemo, useRef, useState, type CSSProperties, type KeyboardEvent } from "react";
import type { BrokenPage, MapDimm, MapSegment } from "../api/types";
import { bytes, hex, hexRange } from "../lib/format";
import { layoutSpans, pageAt, type Span } from "../lib/segment-layout";
import { brokenDetails, segmentDetails, segmentTitle, spokenLabel, type DetailLine } from "../lib/segment-text";

const MIN_FRACTION = 0.012;
const LABEL_MIN_FRACTION = 0.07;

type Item =
  | { type: "segment"; seg: MapSegment; span: Span; title: string; lines: DetailLine[] }
  | { type: "broken"; page: BrokenPage; at: number; title: string; lines: DetailLine[] };

export interface DimmBarProps {
  dimm: MapDimm;
  colorOf: (domain: string) => string;
  /** Guest label pages at the end of each extent, by `domain/vnvdimm`. */
  labelPagesOf: (domain: string, vnvdimm: string) => number;
  stoppedDomains: ReadonlySet<string>;
  onSelectDomain: (domain: string) => void;
}

function segmentStyle(seg: MapSegment, span: Span, p: DimmBarProps): CSSProperties {
  const style: CSSProperties = { left: `${span.left * 100}%`, width: `${span.width * 100}%` };
  if (seg.kind === "extent" && seg.domain) style.backgroundColor = p.colorOf(seg.domain);
  return style;
}

function segmentClass(seg: MapSegment, p: DimmBarProps): string {
  const c = ["seg", `seg-${seg.kind}`];
  if (seg.kind === "extent" && seg.domain && p.stoppedDomains.has(seg.domain)) c.push("seg-stopped");
  if (seg.status === "allocating") c.push("seg-orphan");
  return c.join(" ");
}

function itemsOf(dimm: MapDimm): Item[] {
  const spans = layoutSpans(dimm.segments.map((s) => s.nrPages), MIN_FRACTION);
  const items: Item[] = [];
  dimm.segments.forEach((seg, i) => {
    const span = spans[i]!;
    items.push({ type: "segment", seg, span, title: segmentTitle(seg), lines: segmentDetails(dimm, seg) });
    for (const page of dimm.broken) {
      if (page.mfn < seg.smfn || page.mfn >= seg.smfn + seg.nrPages) continue;
      items.push({ type: "broken", page, at: pageAt(span, seg.smfn, seg.nrPages, page.mfn), title: `Broken page ${hex(page.mfn)}`, lines: brokenDetails(page, seg) });
    }
  });
  return items;
}

export function DimmBar(p: DimmBarProps) {
  const { dimm } = p;
  const items = useMemo(() => itemsOf(dimm), [dimm]);
  const [focusIndex, setFocusIndex] = useState(0);
  const [hover, setHover] = useState<number | null>(null);
  const [focused, setFocused] = useState<number | null>(null);
  const refs = useRef<(HTMLDivElement | null)[]>([]);
  const tipId = useId();
  const headId = useId();

  const rovingIndex = Math.min(focusIndex, items.length - 1);
  const shown = hover ?? focused;
  const shownItem = shown !== null ? items[shown] : undefined;

  const move = (to: number) => {
    const i = Math.max(0, Math.min(items.length - 1, to));
    setFocusIndex(i);
    refs.current[i]?.focus();
  };

  const onKey = (e: KeyboardEvent, i: number) => {
    const item = items[i];
    switch (e.key) {
      case "ArrowRight": case "ArrowDown": move(i + 1); break;
      case "ArrowLeft": case "ArrowUp": move(i - 1); break;
      case "Home": move(0); break;
      case "End": move(items.length - 1); break;
      case "Enter": case " ":
        if (item?.type === "segment" && item.seg.domain) p.onSelectDomain(item.seg.domain);
        else return;
        break;
      case "Escape": setFocused(null); return;
      default: return;
    }
    e.preventDefault();
  };

  const tipLeft = shownItem ? Math.min(0.85, Math.max(0.15, shownItem.type === "segment" ? shownItem.span.left + shownItem.span.width / 2 : shownItem.at)) : 0;
  const lastMfn = dimm.smfn + dimm.nrPages - 1;

  return (
    <div className="dimm" data-dimm={dimm.index}>
      <div className="dimm-head" id={headId}>
        <h3>DIMM {dimm.index}</h3>
        <span className="dimm-meta">
          node {dimm.node} · {bytes(dimm.sizeBytes)} · SPA {hex(dimm.spa)} · MFN {hexRange(dimm.smfn, dimm.nrPages)}
        </span>
        <span className="dimm-path" title={dimm.path}>{dimm.path.split("/").pop()}</span>
      </div>
      <div className="bar-wrap">
        <div className="bar" role="group" aria-labelledby={headId} aria-describedby={shownItem ? tipId : undefined} onMouseLeave={() => setHover(null)}>
          {items.map((item, i) => {
            const common = {
              ref: (el: HTMLDivElement | null) => { refs.current[i] = el; },
              tabIndex: i === rovingIndex ? 0 : -1,
              "aria-label": spokenLabel(item.title, item.lines),
              onMouseEnter: () => setHover(i),
              onFocus: () => { setFocused(i); setFocusIndex(i); },
              onBlur: () => setFocused((f) => (f === i ? null : f)),
              onKeyDown: (e: KeyboardEvent) => onKey(e, i),
            };
            if (item.type === "broken") {
              return <div key={`b${item.page.mfn}`} {...common} role="img" className={`broken-marker${shown === i ? " active" : ""}`} style={{ left: `${item.at * 100}%` }} data-mfn={item.page.mfn} />;
            }
            const { seg, span } = item;
            const labelPages = seg.kind === "extent" && seg.domain && seg.vnvdimm ? p.labelPagesOf(seg.domain, seg.vnvdimm) : 0;
            const clickable = seg.kind === "extent" && !!seg.domain;
            return (
              <div key={`s${seg.smfn}-${seg.kind}`} {...common} role={clickable ? "button" : "img"} className={`${segmentClass(seg, p)}${shown === i ? " active" : ""}`}
                style={segmentStyle(seg, span, p)} data-kind={seg.kind} data-domain={seg.domain} data-smfn={seg.smfn}
                onClick={clickable ? () => p.onSelectDomain(seg.domain!) : undefined}>
                {labelPages > 0 && <span className="seg-labels" style={{ width: `max(3px, ${(labelPages / seg.nrPages) * 100}%)` }} />}
                {span.width >= LABEL_MIN_FRACTION && <span className="seg-text">{item.title}<span className="seg-size"> {bytes(seg.bytes)}</span></span>}
              </div>
            );
          })}
        </div>
        {shownItem && (
          <div className="tooltip" role="tooltip" id={tipId} style={{ left: `${tipLeft * 100}%` }}>
            <strong>{shownItem.title}</strong>
            <dl>
              {shownItem.lines.map((l) => (
                <div key={l.label}><dt>{l.label}</dt><dd>{l.value}</dd></div>
              ))}
            </dl>
          </div>
        )}
      </div>
      <div className="axis" aria-hidden="true">
        <span>{hex(dimm.smfn)}</span>
        <span>{hex(lastMfn)}</span>
      </div>
    </div>
  );
}
