// SPDX-License-Identifier: LGPL-2.1-or-later
// Lets xterm.js render under oly's CSP (style-src 'self', no 'unsafe-inline'). xterm writes its theme and
// cell-size rules into <style> elements and sets 24-bit colours with setAttribute('style', ...); the CSP blocks
// both as inline styles. The CSSOM is not blocked, so this routes them there: <style> text goes into a
// constructed stylesheet adopted by the document, and a style attribute becomes element.style.cssText.
// The page's own code uses neither (a <style> element or a style attribute), so nothing else is affected.
// Loaded as a classic script before vendor/xterm.js.
(function () {
        'use strict';

        const setAttribute = Element.prototype.setAttribute;
        Element.prototype.setAttribute = function (name, value) {
                if (typeof name === 'string' && name.toLowerCase() === 'style' && this.style) {
                        this.style.cssText = String(value);
                        return;
                }
                return setAttribute.call(this, name, value);
        };

        if (typeof CSSStyleSheet !== 'function' || !('replaceSync' in CSSStyleSheet.prototype) ||
            !('adoptedStyleSheets' in Document.prototype))
                return;

        // Even an empty <style> in the page counts as a blocked inline style, so xterm gets an inert
        // <template> instead: it only sets textContent, appends and removes the element.
        const createElement = Document.prototype.createElement;
        Document.prototype.createElement = function (tag, options) {
                if (typeof tag !== 'string' || tag.toLowerCase() !== 'style')
                        return createElement.call(this, tag, options);
                const el = createElement.call(this, 'template');
                el.dataset.olyStyle = '';
                adopt(this, el);
                return el;
        };

        function adopt(doc, el) {
                const sheet = new CSSStyleSheet();
                let text = '';
                doc.adoptedStyleSheets = [...doc.adoptedStyleSheets, sheet];
                Object.defineProperty(el, 'textContent', {
                        configurable: true,
                        get: () => text,
                        set: (v) => {
                                text = v === null || v === undefined ? '' : String(v);
                                sheet.replaceSync(text);
                        },
                });
                const remove = el.remove;
                el.remove = function () {
                        doc.adoptedStyleSheets = doc.adoptedStyleSheets.filter((s) => s !== sheet);
                        return remove.call(this);
                };
        }
})();
