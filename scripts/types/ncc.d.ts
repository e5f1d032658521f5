declare module '@vercel/ncc' {
  interface NccOptions {
    license?: string;
    quiet?: boolean;
    sourceMap?: boolean;
    minify?: boolean;
    transpileOnly?: boolean;
  }
  interface NccResult {
    code: string;
    assets: Record<string, { source: Buffer | string }>;
  }
  export default function ncc(entry: string, options?: NccOptions): Promise<NccResult>;
}
