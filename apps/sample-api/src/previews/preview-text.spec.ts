import { capPreview, htmlToText, PREVIEW_MAX_CHARS } from './preview-text';

describe('htmlToText', () => {
  it('keeps visible text and drops tags, comments, scripts and styles', () => {
    const html =
      '<!doctype html><html><head><title>Hello</title><style>body{color:red}</style>' +
      '<script>alert("x")</script></head><body><!-- secret --><h1>Big&nbsp;news</h1>' +
      '<p>Fish &amp; chips &lt;3 &#233;t&#xE9;</p><SCRIPT type="module">steal()</SCRIPT ><p>end</p></body></html>';
    expect(htmlToText(html)).toBe('Hello Big news Fish & chips <3 été end');
  });

  it('treats <script /> as opening a script, as browsers do', () => {
    expect(htmlToText('a<script src="x"/>hidden</script>b')).toBe('a b');
  });

  it('ends the text at unterminated markup', () => {
    expect(htmlToText('before<script>never closed')).toBe('before');
    expect(htmlToText('before<!-- never closed')).toBe('before');
    expect(htmlToText('before<p never closed')).toBe('before');
  });

  it('replaces invalid numeric entities and control characters', () => {
    expect(htmlToText('a&#0;b&#xD800;c&#1114112;d\u0007e&unknown;')).toBe('a\ufffdb\ufffdc\ufffdd e&unknown;');
  });

  it('stays linear on hostile markup', () => {
    const hostile = [
      '<script>'.repeat(100_000),
      '<!--'.repeat(200_000),
      '<a '.repeat(300_000),
      `${'<p>x'.repeat(150_000)}`,
      `${'<style>x</styl'.repeat(60_000)}`,
    ];
    for (const html of hostile) {
      const started = Date.now();
      htmlToText(html);
      expect(Date.now() - started).toBeLessThan(1000);
    }
  });
});

describe('capPreview', () => {
  it('caps at 1000 code units without splitting a surrogate pair', () => {
    expect(capPreview('a'.repeat(1500))).toHaveLength(PREVIEW_MAX_CHARS);
    const emoji = `${'a'.repeat(999)}😀`;
    expect(capPreview(emoji)).toBe('a'.repeat(999));
    expect(capPreview('short')).toBe('short');
  });
});
