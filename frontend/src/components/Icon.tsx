// A handful of 16px line icons, drawn inline so the app needs no icon library.

const PATHS = {
  import: 'M8 2v8m0 0L5 7m3 3 3-3M3 12v1.5h10V12',
  plus: 'M8 3v10M3 8h10',
  trash: 'M3 4.5h10M6.5 4.5V3h3v1.5M4.5 4.5l.6 8.5h5.8l.6-8.5',
  play: 'M5 3.5v9l7-4.5z',
  stop: 'M4.5 4.5h7v7h-7z',
  copy: 'M5.5 5.5h7v7h-7zM3.5 10.5v-7h7',
  link: 'M6.5 9.5l3-3M7 4.5l1-1a2.5 2.5 0 0 1 3.5 3.5l-1 1M9 11.5l-1 1A2.5 2.5 0 0 1 4.5 9l1-1',
  unlink: 'M7 4.5l1-1a2.5 2.5 0 0 1 3.5 3.5l-1 1M9 11.5l-1 1A2.5 2.5 0 0 1 4.5 9l1-1M3 3l10 10',
  replay: 'M3.5 8a4.5 4.5 0 1 0 1.3-3.2M3.5 2.5v2.8h2.8',
  download: 'M8 2.5v7m0 0-3-3m3 3 3-3M3 12.5h10',
  clear: 'M3.5 12.5h9M5 10l5.5-6.5 2 1.7L7 11.7H5z',
  save: 'M3.5 3.5h7l2 2v7h-9zM5.5 3.5v3h4v-3M5.5 12.5v-3h5v3',
  docs: 'M4 2.5h5.5L12 5v8.5H4zM9.5 2.5V5H12M6 8h4M6 10.5h4',
  file: 'M4 2.5h5.5L12 5v8.5H4zM9.5 2.5V5H12',
  close: 'M4 4l8 8M12 4l-8 8',
  search: 'M7 3a4 4 0 1 0 0 8 4 4 0 0 0 0-8zM10 10l3 3',
  alert: 'M8 2.5l6 11H2zM8 6.5v3.5M8 11.8v.2',
  check: 'M3.5 8.5l3 3 6-7',
  info: 'M8 2.5a5.5 5.5 0 1 0 0 11 5.5 5.5 0 0 0 0-11zM8 7.3v4M8 5v.2',
  pause: 'M5.5 4v8M10.5 4v8',
  edit: 'M3 13l.5-2.5L10.5 3.5l2 2-7 7zM9 5l2 2',
} as const;

export type IconName = keyof typeof PATHS;

export function Icon({ name, size = 16 }: { name: IconName; size?: number }) {
  return (
    <svg className="icon" width={size} height={size} viewBox="0 0 16 16" aria-hidden="true" focusable="false">
      <path d={PATHS[name]} fill="none" stroke="currentColor" strokeWidth="1.4" strokeLinecap="round" strokeLinejoin="round" />
    </svg>
  );
}
