// One DIMM as a bar: its segments in MFN order, proportional in pages (with a
// minimum width so one-page records stay visible), broken pages as markers.
// The bar is one Tab stop; arrow keys, Home and End move between segments
// (a roving tabindex), and the focused or hovered one shows its exact ranges.
import { useId, useMemo, useRef, useState, type CSSProperties, type KeyboardEvent } from "react";
import type { BrokenPage, MapDimm, MapSegment } from "../api/types";
import { bytes, hex, hexRange } from "../lib/format";
import { layoutSpans, pageAt, type Span } from "../lib/segment-layout";
import { useWidth } from "../lib/use-width";
import { brokenDetails, containsMfn, segmentDetails, segmentTitle, spokenLabel, type DetailLine } from "../lib/segment-text";

const MIN_FRACTION = 0.012;
/** Average caption glyph width and the segment's padding, in px, to tell whether a caption fits. */
const CHAR_PX = 7.4;
const PAD_PX = 20;

function caption(seg: MapSegment, title: string, px: number): string | null {
  const fits = (t: string) => t.length * CHAR_PX + PAD_PX <= px;
  const size = bytes(seg.bytes);
  if (fits(`${title} ${size}`)) return title;
  if (seg.domain && fits(seg.domain)) return seg.domain;
  return null;
}

type Item =
  | { type: "segment"; seg: MapSegment; span: Span; title: string; lines: DetailLine[] }
  | { type: "broken"; page: BrokenPage; at: number; title: string; lines: DetailLine[] };

export interface DimmBarProps {
  dimm: MapDimm;
  colorOf: (domain: string) => string;
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
      if (!containsMfn(seg, page.mfn)) continue;
      items.push({ type: "broken", page, at: pageAt(span, seg.smfn!, seg.nrPages, page.mfn), title: `Broken page ${hex(page.mfn)}`, lines: brokenDetails(page, seg) });
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
  const barRef = useRef<HTMLDivElement>(null);
  const barPx = useWidth(barRef);
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

  // The tooltip sits over the middle of what it describes, or is anchored to
  // the bar's edge near either end, so it never leaves the panel.
  const tipAt = shownItem ? (shownItem.type === "segment" ? shownItem.span.left + shownItem.span.width / 2 : shownItem.at) : 0;
  const tipStyle: CSSProperties = tipAt < 0.2 ? { left: 0 } : tipAt > 0.8 ? { right: 0 } : { left: `${tipAt * 100}%`, transform: "translateX(-50%)" };
  const lastMfn = dimm.smfn + dimm.nrPages - 1;
  const segs = items.flatMap((it) => (it.type === "segment" ? [it] : []));
  const mfnEnd = segs.filter((it) => it.seg.smfn !== null).reduce((e, it) => Math.max(e, it.span.left + it.span.width), 0);
  const firstSeg = segs[0]?.seg;
  const lastSeg = segs[segs.length - 1]?.seg;

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
        <div className="bar" ref={barRef} role="group" aria-labelledby={headId} aria-describedby={shownItem ? tipId : undefined} onMouseLeave={() => setHover(null)}>
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
            const labelPages = seg.labelPages ?? 0;
            const text = caption(seg, item.title, span.width * barPx);
            const clickable = seg.kind === "extent" && !!seg.domain;
            return (
              <div key={`s${seg.offset}-${seg.kind}`} {...common} role={clickable ? "button" : "img"} className={`${segmentClass(seg, p)}${seg === firstSeg ? " first" : ""}${seg === lastSeg ? " last" : ""}${shown === i ? " active" : ""}`}
                style={segmentStyle(seg, span, p)} data-kind={seg.kind} data-domain={seg.domain} data-smfn={seg.smfn ?? undefined}
                onClick={clickable ? () => p.onSelectDomain(seg.domain!) : undefined}>
                {labelPages > 0 && <span className="seg-labels" style={{ width: `max(3px, ${(labelPages / seg.nrPages) * 100}%)` }} />}
                {text && <span className="seg-text">{text}{text === item.title && <span className="seg-size"> {bytes(seg.bytes)}</span>}</span>}
              </div>
            );
          })}
        </div>
        {shownItem && (
          <div className="tooltip" role="tooltip" id={tipId} style={tipStyle}>
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
        <span style={{ left: 0 }}>MFN {hex(dimm.smfn)}</span>
        <span style={{ left: `${mfnEnd * 100}%`, transform: "translateX(-100%)" }}>{hex(lastMfn)}</span>
      </div>
    </div>
  );
}
