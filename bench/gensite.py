#!/usr/bin/env python3
"""Generate a realistic, deterministic static site of N pages for the benchmark.

Usage: gensite.py OUT_DIR N [SEED]

Every page is a full document of 30-60 KB: head with meta, canonical, Open Graph, preloads and
stylesheets; JSON-LD; the usual third-party scripts (GA4 gtag, a OneTrust consent manager, an
Intercom chat widget); inline application JS and state; 20-40 same-site links. Some pages carry a
Heap native snippet, some a Segment snippet, a few both. The snippets are copied from the
project's own realistic fixtures (fixtures/pages/), so the detector does real work on them.

Page 0 is `/` (index.html); page i lives at /<section>/<slug>-<i>/ (index.html in a folder, as
static site generators write them). Page i links to pages 2i+1 and 2i+2, so every page is
reachable from `/`; the other links are the site navigation and seeded random picks.
The same (N, SEED) always gives byte-identical output.
"""

import json
import os
import random
import re
import shutil
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIXTURES = os.path.join(ROOT, "fixtures", "pages")

SECTIONS = ["blog", "docs", "product", "customers", "guides", "changelog", "integrations", "careers"]
WORDS = (
    "invoice ledger payment reminder reconcile account team finance close month report export "
    "customer workflow approval dashboard insight revenue forecast pipeline deal contract renewal "
    "integration webhook sync schedule automation template branded portal secure audit compliance "
    "growth onboarding trial pricing plan annual seat usage analytics metric cohort funnel retention "
    "the a of to and in for with on your our every that this from by at is are can will you we"
).split()


def script_block(fixture, marker):
    """The whole <script>...</script> element of a fixture page that contains `marker`."""
    with open(os.path.join(FIXTURES, fixture), encoding="utf-8") as f:
        text = f.read()
    for m in re.finditer(r"<script\b[^>]*>.*?</script>", text, re.S):
        if marker in m.group(0):
            return m.group(0)
    sys.exit(f"gensite: no <script> containing {marker!r} in fixtures/pages/{fixture}")


def snippets():
    return {
        "heap_classic": script_block("heap-classic-current.html", "heap.load("),
        "heap_v5": script_block("heap-v5-us.html", "heapReadyCb"),
        "segment": script_block("segment-5.2.1.html", "analytics.load("),
        "gtag_loader": script_block("heap-classic-current.html", "gtag/js?id="),
        "gtag_config": script_block("heap-classic-current.html", "gtag('config'"),
        "onetrust": script_block("heap-classic-forcessl.html", "otSDKStub.js"),
        "onetrust_wrapper": script_block("heap-classic-forcessl.html", "OptanonWrapper"),
        "intercom_settings": script_block("heap-classic-current.html", "intercomSettings = {"),
        "intercom": script_block("heap-classic-current.html", "reattach_activator"),
    }


def url_of(i, n_sections=len(SECTIONS)):
    if i == 0:
        return "/"
    return f"/{SECTIONS[i % n_sections]}/{slug(i)}-{i}/"


def slug(i):
    r = random.Random(i * 7919)
    return "-".join(r.choice(WORDS[:60]) for _ in range(3))


def sentence(r, words):
    s = " ".join(r.choice(WORDS) for _ in range(words))
    return s[0].upper() + s[1:] + "."


def paragraph(r):
    return " ".join(sentence(r, r.randint(8, 22)) for _ in range(r.randint(3, 7)))


def app_state(r, i):
    """Inline hydration state, as Next.js/Nuxt pages carry (a few KB of JSON)."""
    items = [
        {
            "id": f"{i}-{k}",
            "title": sentence(r, 5),
            "excerpt": sentence(r, 18),
            "author": {"name": r.choice(["Ana Ruiz", "Tom Becker", "Priya Nair", "Li Wei"]), "avatar": f"/static/img/a{k % 9}.webp"},
            "tags": [r.choice(WORDS[:40]) for _ in range(4)],
            "readingTime": r.randint(2, 14),
        }
        for k in range(r.randint(8, 20))
    ]
    return json.dumps({"props": {"pageProps": {"page": i, "items": items}}, "page": url_of(i), "buildId": "k3Jd82mQx0aP"}, separators=(",", ":"))


def app_js(r):
    """Inline application code: a minified-looking module of handlers (1-3 KB)."""
    parts = []
    for k in range(r.randint(6, 16)):
        name = r.choice(WORDS[:40]) + str(k)
        parts.append(
            f'function {name}(e,t){{var n=document.querySelector("[data-{name}]");if(!n)return;'
            f'n.addEventListener("click",function(o){{o.preventDefault();window.dataLayer&&window.dataLayer.push({{event:"{name}",value:t||0}});'
            f'fetch("/api/{name}",{{method:"POST",body:JSON.stringify({{id:e}})}}).then(function(r){{return r.json()}}).catch(function(){{}})}})}}'
        )
    return "\n".join(parts)


def page(i, n, r, s):
    target = r.randint(30_000, 60_000)
    has_heap = i % 5 == 0
    has_segment = i % 7 == 0
    title = sentence(r, 6)[:-1]
    head = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '  <meta charset="utf-8">',
        '  <meta name="viewport" content="width=device-width, initial-scale=1">',
        f"  <title>{title} | Lumenledger</title>",
        f'  <meta name="description" content="{sentence(r, 20)}">',
        f'  <link rel="canonical" href="https://www.lumenledger.com{url_of(i)}">',
        f'  <meta property="og:title" content="{title}">',
        f'  <meta property="og:url" content="https://www.lumenledger.com{url_of(i)}">',
        f'  <meta property="og:image" content="https://www.lumenledger.com/static/img/og-{i % 40}.png">',
        '  <meta name="twitter:card" content="summary_large_image">',
        '  <link rel="icon" href="/favicon.ico" sizes="any">',
        '  <link rel="preconnect" href="https://fonts.gstatic.com" crossorigin>',
        '  <link rel="preload" href="/static/fonts/inter-var.7f3a1c.woff2" as="font" type="font/woff2" crossorigin>',
        '  <link rel="stylesheet" href="/static/css/main.a81f22c4.css">',
        f'  <link rel="stylesheet" href="/static/css/{SECTIONS[i % len(SECTIONS)]}.css">',
        '  <script type="application/ld+json">',
        json.dumps({"@context": "https://schema.org", "@type": "Article", "headline": title, "url": f"https://www.lumenledger.com{url_of(i)}", "author": {"@type": "Organization", "name": "Lumenledger"}}),
        "  </script>",
        "  " + s["onetrust"],
        "  " + s["onetrust_wrapper"],
        "  " + s["gtag_loader"],
        "  " + s["gtag_config"],
    ]
    if has_heap:
        head.append("  " + (s["heap_v5"] if i % 10 == 5 else s["heap_classic"]))
    if has_segment:
        head.append("  " + s["segment"])
    head += [
        '  <script>window.__LL_CONFIG__ = { env: "production", apiBase: "https://api.lumenledger.com", release: "web-2024.06.11-3" };</script>',
        '  <script src="/static/js/runtime.3b1c9e.js" defer></script>',
        '  <script src="/static/js/main.9d04b7.js" defer></script>',
        "</head>",
    ]

    # Links: the tree edges that make every page reachable, the navigation, then random picks.
    links = [c for c in (2 * i + 1, 2 * i + 2) if c < n]
    nav = [k for k in range(1, min(n, 9))]
    want = r.randint(20, 40)
    while len(links) + len(nav) < want:
        links.append(r.randrange(n))
    nav_html = "\n".join(f'        <li><a href="{url_of(k)}">{SECTIONS[k % len(SECTIONS)].title()}</a></li>' for k in nav)
    body = [
        f'<body class="page-{SECTIONS[i % len(SECTIONS)]}">',
        '  <header class="site-header">',
        '    <a class="logo" href="/"><img src="/static/img/logo.svg" alt="Lumenledger" width="148" height="32"></a>',
        '    <nav aria-label="Primary">',
        "      <ul>",
        nav_html,
        "      </ul>",
        "    </nav>",
        '    <a class="btn btn-ghost" href="https://app.lumenledger.com/login">Log in</a>',
        "  </header>",
        "  <main>",
        f"    <h1>{title}</h1>",
    ]
    footer = [
        "  </main>",
        '  <aside class="related"><h2>Related</h2><ul>',
        *(f'    <li><a href="{url_of(k)}">{slug(k).replace("-", " ").title()}</a></li>' for k in links),
        "  </ul></aside>",
        '  <footer class="site-footer"><p>&copy; 2024 Lumenledger, Inc. · <a href="https://twitter.com/lumenledger">Twitter</a> · <a href="mailto:hello@lumenledger.com">Contact</a></p></footer>',
        f'  <script id="__NEXT_DATA__" type="application/json">{app_state(r, i)}</script>',
        f"  <script>\n{app_js(r)}\n  </script>",
        "  " + s["intercom_settings"],
        "  " + s["intercom"],
        "</body>",
        "</html>",
        "",
    ]
    fixed = sum(len(x) + 1 for x in head + body + footer)
    article = []
    size = fixed
    k = 0
    while size < target:
        if k % 4 == 0:
            chunk = f"    <h2 id=\"s{k}\">{sentence(r, 5)[:-1]}</h2>"
        elif k % 9 == 5:
            chunk = f'    <figure><img src="/static/img/fig-{r.randrange(500)}.webp" alt="{sentence(r, 6)}" loading="lazy" width="800" height="450"><figcaption>{sentence(r, 10)}</figcaption></figure>'
        else:
            chunk = f'    <p class="body">{paragraph(r)}</p>'
        article.append(chunk)
        size += len(chunk) + 1
        k += 1
    return "\n".join(head + body + article + footer)


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    out, n = sys.argv[1], int(sys.argv[2])
    seed = int(sys.argv[3]) if len(sys.argv) > 3 else 5
    s = snippets()
    if os.path.exists(out):
        shutil.rmtree(out)
    os.makedirs(out)
    # First-party assets the pages load: the scripts are real fixture bundles (scanned by heap-audit).
    for sub in ("static/js",):
        shutil.copytree(os.path.join(FIXTURES, sub), os.path.join(out, sub))
    css = os.path.join(out, "static", "css")
    os.makedirs(css)
    for name in ["main.a81f22c4"] + SECTIONS:
        with open(os.path.join(css, name + ".css"), "w") as f:
            f.write("body{margin:0;font-family:Inter,sans-serif}\n" * 40)
    total = 0
    for i in range(n):
        r = random.Random(seed * 1_000_003 + i)
        html = page(i, n, r, s)
        path = os.path.join(out, url_of(i).strip("/"), "index.html")
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w", encoding="utf-8") as f:
            f.write(html)
        total += len(html.encode())
    print(f"gensite: {n} pages, {total / 1e6:.1f} MB of HTML, in {out}")


if __name__ == "__main__":
    main()
