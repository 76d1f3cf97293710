import {
  CategoryScale,
  Chart,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  Tooltip,
  type ChartDataset,
} from 'chart.js';
import { useEffect, useRef } from 'preact/hooks';

Chart.register(LineController, LineElement, PointElement, LinearScale, CategoryScale, Tooltip, Legend);

export interface Series {
  label: string;
  points: Array<{ x: number; y: number }>;
  /** Draws the line as steps (a balance holds between movements). */
  stepped?: boolean;
}

const COLOURS = ['#1f5fbf', '#b3261e', '#1b7f3b', '#8a4fbf', '#b36b00', '#00798c'];
const time = (ms: number) => new Date(ms).toLocaleTimeString();
const dateTime = (ms: number) => new Date(ms).toLocaleString();

/**
 * A line chart over time (Chart.js on a canvas). The canvas is an image to assistive technology,
 * so it carries a label and the page shows the same figures as text beside it.
 */
export function TimeChart(props: { series: Series[]; label: string; yTitle: string; longTimes?: boolean }) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const chart = useRef<Chart<'line', Array<{ x: number; y: number }>> | undefined>(undefined);
  const format = props.longTimes ? dateTime : time;

  useEffect(() => {
    if (!canvas.current) return;
    chart.current = new Chart(canvas.current, {
      type: 'line',
      data: { datasets: [] },
      options: {
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        parsing: false,
        scales: {
          x: { type: 'linear', ticks: { callback: (value) => format(Number(value)), maxTicksLimit: 6 } },
          y: { beginAtZero: true, title: { display: true, text: props.yTitle } },
        },
        plugins: {
          legend: { position: 'bottom' },
          tooltip: { callbacks: { title: (items) => (items[0] ? format(items[0].parsed.x ?? 0) : '') } },
        },
      },
    });
    return () => chart.current?.destroy();
  }, []);

  useEffect(() => {
    const current = chart.current;
    if (!current) return;
    current.data.datasets = props.series.map((s, i): ChartDataset<'line', Array<{ x: number; y: number }>> => ({
      label: s.label,
      data: s.points,
      borderColor: COLOURS[i % COLOURS.length],
      backgroundColor: COLOURS[i % COLOURS.length],
      stepped: s.stepped ? 'before' : false,
      pointRadius: 2,
    }));
    // A single instant (one sample so far) would leave the axis without a span: give it a minute.
    const xs = props.series.flatMap((s) => s.points.map((p) => p.x));
    const lone = xs.length > 0 && Math.min(...xs) === Math.max(...xs);
    const x = current.options.scales?.x;
    if (x) {
      x.min = lone ? xs[0]! - 30_000 : undefined;
      x.max = lone ? xs[0]! + 30_000 : undefined;
    }
    current.update();
  }, [props.series]);

  return (
    <div class="chart">
      <canvas ref={canvas} role="img" aria-label={props.label} />
    </div>
  );
}
