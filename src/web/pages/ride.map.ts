// A ride's route as SVG geometry, drawn from its logged locations: no map tiles, no external
// service. An equirectangular projection is plenty at city scale.
import type { PathPoint } from "../../rides/ride.service.ts";
import { maxOf, minOf } from "../../shared/arrays.ts";

export interface RouteMap {
  width: number;
  height: number;
  /** SVG polyline `points`. */
  points: string;
  start: { x: number; y: number };
  end: { x: number; y: number };
  count: number;
  distanceKm: string;
}

const EARTH_RADIUS_KM = 6371.0088;
const rad = (deg: number) => (deg * Math.PI) / 180;

function haversineKm(a: { lat: number; long: number }, b: { lat: number; long: number }): number {
  const dLat = rad(b.lat - a.lat);
  const dLong = rad(b.long - a.long);
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(rad(a.lat)) * Math.cos(rad(b.lat)) * Math.sin(dLong / 2) ** 2;
  return 2 * EARTH_RADIUS_KM * Math.asin(Math.min(1, Math.sqrt(h)));
}

/**
 * The points a map can show: both coordinates logged, finite and on the globe. A row edited by hand
 * may hold NaN, Infinity or 1000 (DOUBLE PRECISION takes them); those are left off the map, not
 * drawn as NaN (ADR 022).
 */
export function drawablePoints(path: PathPoint[]): (PathPoint & { lat: number; long: number })[] {
  return path.filter(
    (p): p is PathPoint & { lat: number; long: number } =>
      p.lat !== null && p.long !== null && Math.abs(p.lat) <= 90 && Math.abs(p.long) <= 180,
  );
}

/** Null when no location was logged (none that drawablePoints keeps). */
export function routeMap(path: PathPoint[], width = 640, height = 320, pad = 24): RouteMap | null {
  const pts = drawablePoints(path);
  if (pts.length === 0) return null;
  const meanLat = pts.reduce((s, p) => s + p.lat, 0) / pts.length;
  // Longitude degrees shrink toward the poles; scaling by cos(lat) keeps the shape true.
  const k = Math.cos(rad(meanLat));
  const xy = pts.map((p) => ({ x: p.long * k, y: -p.lat }));
  const xs = xy.map((p) => p.x);
  const ys = xy.map((p) => p.y);
  const minX = minOf(xs);
  const minY = minOf(ys);
  // A single point, or a ride that never moved, still gets a finite scale.
  const spanX = Math.max(maxOf(xs) - minX, 1e-9);
  const spanY = Math.max(maxOf(ys) - minY, 1e-9);
  const scale = Math.min((width - 2 * pad) / spanX, (height - 2 * pad) / spanY);
  const offX = (width - spanX * scale) / 2;
  const offY = (height - spanY * scale) / 2;
  const round = (n: number) => Math.round(n * 10) / 10;
  const screen = xy.map((p) => ({
    x: round(offX + (p.x - minX) * scale),
    y: round(offY + (p.y - minY) * scale),
  }));
  let km = 0;
  for (let i = 1; i < pts.length; i++) km += haversineKm(pts[i - 1]!, pts[i]!);
  return {
    width,
    height,
    points: screen.map((p) => `${p.x},${p.y}`).join(" "),
    start: screen[0]!,
    end: screen[screen.length - 1]!,
    count: pts.length,
    distanceKm: km.toFixed(2),
  };
}
