import { describe, expect, it } from 'vitest';
import { escapeHtml, html, SafeHtml } from '../../src/http/html.ts';

describe('html template', () => {
  it('escapes every interpolated string', () => {
    const name = `<script>alert("x")</script>&'`;
    expect(html`<p title="${name}">${name}</p>`.markup).toBe(
      '<p title="&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#39;">&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#39;</p>',
    );
  });

  it('keeps nested html, escapes inside arrays, drops null', () => {
    const items = ['<a>', 'b'].map((x) => html`<li>${x}</li>`);
    expect(html`<ul>${items}${null}${['<raw>']}</ul>`.markup).toBe('<ul><li>&lt;a&gt;</li><li>b</li>&lt;raw&gt;</ul>');
  });

  it('escapes a plain string even when it looks like markup', () => {
    expect(escapeHtml('"><img src=x onerror=alert(1)>')).toBe('&quot;&gt;&lt;img src=x onerror=alert(1)&gt;');
    expect(html`${new SafeHtml('<b>')}`.markup).toBe('<b>');
  });
});
