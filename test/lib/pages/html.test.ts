import { describe, expect, it } from 'vitest';
import { escapeHtml, html, SafeHtml } from '../../../src/lib/pages/html.js';

describe('html templates', () => {
  it('escapes every character that could end text or an attribute', () => {
    expect(escapeHtml(`<a href="x" onclick='y'>&</a>`)).toBe(
      '&lt;a href=&quot;x&quot; onclick=&#39;y&#39;&gt;&amp;&lt;/a&gt;',
    );
  });

  it('escapes interpolated values, and only those', () => {
    const name = '<script>alert(1)</script>';
    expect(html`<p title="${name}">${name}</p>`.value).toBe(
      '<p title="&lt;script&gt;alert(1)&lt;/script&gt;">&lt;script&gt;alert(1)&lt;/script&gt;</p>',
    );
  });

  it('keeps markup made by html, joins lists, and leaves out nothing-values', () => {
    const items = ['a', '<b>'].map((item) => html`<li>${item}</li>`);
    expect(html`<ul>${items}</ul>${undefined}${null}${false}${0}`.value).toBe(
      '<ul><li>a</li><li>&lt;b&gt;</li></ul>0',
    );
    expect(html`${new SafeHtml('<br>')}`.value).toBe('<br>');
  });
});
