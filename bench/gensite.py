#!/usr/bin/env python3
"""Generate a realistic, deterministic static site of N pages for the benchmark.

Usage: gensite.py OUT_DIR N [SEED] [--small]

Every page is a full document of 30-60 KB: head with meta, canonical, Open Graph, preloads and
stylesheets; JSON-LD; the usual third-party scripts (GA4 gtag, a OneTrust consent manager, an
Intercom chat widget); inline application JS and state; 20-40 same-site links. With --small, a
page keeps its head, its installs and 12-16 links, but no article, state, inline app code or
consent and chat widgets (about 5 KB): for the scaling benchmark (bench/scale.sh), where 100,000
pages must stay a few hundred MB.

Pages carry what real sites carry, so the detector, the rules and the advice do real work (the
shares are in INSTALLS below): a Heap snippet on most pages (classic, v5, or classic with
disableTextCapture: three app ids), Segment's snippet on most, a GTM loader on some, and the
site's own first-party bundles by <script src> (files in the site: every page loads two without
analytics, some a bundle that injects Heap with a fourth app id, some one that calls
analytics.identify with an email trait). Snippets and bundles are copied from the project's own
realistic fixtures (fixtures/pages/, fixtures/sites/shop/); nothing is fetched. The Segment write
key and the GTM container are ones whose settings and container are in fixtures/segment/ and
fixtures/gtm/, so a run can read them from there with --offline and --remap (bench/scale.sh
does): Segment's Heap destination then loads Heap on the Segment pages, and the container's
Custom HTML tag on the GTM pages.

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


# Shares of pages (in %) that carry each install, drawn for each page.
INSTALLS = {
    # One native Heap snippet: classic (app id 3748201956), else v5 (262094718), else classic with
    # disableTextCapture (1714093382): 70% of pages in all, 30% without.
    "heap_classic": 50,
    "heap_v5": 10,
    "heap_private": 10,
    # Segment's snippet, write key q8Xk2LmN4pR7sT1vW3yZ5aB6cD9eF0gH (its settings are in
    # fixtures/segment/: the classic Heap destination, app id 2682025610).
    "segment": 60,
    # The GTM loader of GTM-HEAPG1 (fixtures/gtm/: a Custom HTML tag loads Heap) and its
    # <noscript> iframe.
    "gtm": 10,
    # A first-party bundle that injects Heap's snippet (app id 3268401795).
    "heap_bundle": 4,
    # A first-party bundle whose code calls analytics.identify with an email trait.
    "identify_bundle": 20,
}
HEAP_NATIVE = ("heap_classic", "heap_v5", "heap_private")
HEAP_BUNDLE = "lettingshub-analytics.js"
IDENTIFY_BUNDLE = "app.8c1f2e.js"
SHOP = os.path.join(ROOT, "fixtures", "sites", "shop")


def shop_block(marker):
    """An element of the fixture shop's journal page that contains `marker` (its Segment snippet
    and GTM loader name a write key and a container that fixtures/segment/ and fixtures/gtm/ hold)."""
    with open(os.path.join(SHOP, "blog", "index.html"), encoding="utf-8") as f:
        text = f.read()
    for m in re.finditer(r"<script\b[^>]*>.*?</script>|<noscript>.*?</noscript>", text, re.S):
        if marker in m.group(0):
            return m.group(0)
    sys.exit(f"gensite: no element containing {marker!r} in fixtures/sites/shop/blog/index.html")


def snippets():
    return {
        "heap_classic": script_block("heap-classic-current.html", "heap.load("),
        "heap_v5": script_block("heap-v5-us.html", "heapReadyCb"),
        "heap_private": script_block("heap-classic-forcessl.html", "heap.load("),
        "segment": shop_block('analytics.load("q8Xk2LmN4pR7sT1vW3yZ5aB6cD9eF0gH")'),
        "gtm": shop_block("gtm.js?id="),
        "gtm_noscript": shop_block("ns.html?id=GTM-HEAPG1"),
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


def installs_of(i, seed):
    """Which installs page i carries: a draw of its own, the same with or without --small."""
    r = random.Random(seed * 7_000_003 + i)
    has = {name: r.randrange(100) < share for name, share in INSTALLS.items()}
    heap = r.randrange(100)
    for name in HEAP_NATIVE:
        has[name] = 0 <= heap < INSTALLS[name]
        heap -= INSTALLS[name]
    return has


def page(i, n, r, s, seed=5, small=False):
    target = 0 if small else r.randint(30_000, 60_000)
    has = installs_of(i, seed)
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
    ]
    if not small:
        head += ["  " + s["onetrust"], "  " + s["onetrust_wrapper"]]
    head += ["  " + s["gtag_loader"], "  " + s["gtag_config"]]
    for name in ("gtm", *HEAP_NATIVE, "segment"):
        if has[name]:
            head.append("  " + s[name])
    head += [
        '  <script>window.__LL_CONFIG__ = { env: "production", apiBase: "https://api.lumenledger.com", release: "web-2024.06.11-3" };</script>',
        '  <script src="/static/js/runtime.3b1c9e.js" defer></script>',
        '  <script src="/static/js/main.9d04b7.js" defer></script>',
    ]
    if has["heap_bundle"]:
        head.append(f'  <script src="/static/js/{HEAP_BUNDLE}" defer></script>')
    if has["identify_bundle"]:
        head.append(f'  <script src="/static/js/{IDENTIFY_BUNDLE}" defer></script>')
    head.append("</head>")

    # Links: the tree edges that make every page reachable, the navigation, then random picks.
    links = [c for c in (2 * i + 1, 2 * i + 2) if c < n]
    nav = [k for k in range(1, min(n, 9))]
    want = r.randint(12, 16) if small else r.randint(20, 40)
    while len(links) + len(nav) < want:
        links.append(r.randrange(n))
    nav_html = "\n".join(f'        <li><a href="{url_of(k)}">{SECTIONS[k % len(SECTIONS)].title()}</a></li>' for k in nav)
    body = [
        f'<body class="page-{SECTIONS[i % len(SECTIONS)]}">',
        *(["  " + s["gtm_noscript"]] if has["gtm"] else []),
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
        *(
            []
            if small
            else [
                f'  <script id="__NEXT_DATA__" type="application/json">{app_state(r, i)}</script>',
                f"  <script>\n{app_js(r)}\n  </script>",
                "  " + s["intercom_settings"],
                "  " + s["intercom"],
            ]
        ),
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
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    flags = [a for a in sys.argv[1:] if a.startswith("--")]
    if not 2 <= len(args) <= 3 or any(f != "--small" for f in flags):
        sys.exit(__doc__)
    out, n = args[0], int(args[1])
    seed = int(args[2]) if len(args) > 2 else 5
    small = "--small" in flags
    s = snippets()
    if os.path.exists(out):
        shutil.rmtree(out)
    os.makedirs(out)
    # First-party assets the pages load: the scripts are real fixture bundles (scanned by heap-audit).
    for sub in ("static/js",):
        shutil.copytree(os.path.join(FIXTURES, sub), os.path.join(out, sub))
    shutil.copy(os.path.join(FIXTURES, "js-heap", "static", "js", HEAP_BUNDLE), os.path.join(out, "static", "js"))
    shutil.copy(os.path.join(SHOP, "static", "js", IDENTIFY_BUNDLE), os.path.join(out, "static", "js"))
    css = os.path.join(out, "static", "css")
    os.makedirs(css)
    for name in ["main.a81f22c4"] + SECTIONS:
        with open(os.path.join(css, name + ".css"), "w") as f:
            f.write("body{margin:0;font-family:Inter,sans-serif}\n" * 40)
    total = 0
    for i in range(n):
        r = random.Random(seed * 1_000_003 + i)
        html = page(i, n, r, s, seed, small)
        path = os.path.join(out, url_of(i).strip("/"), "index.html")
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w", encoding="utf-8") as f:
            f.write(html)
        total += len(html.encode())
    print(f"gensite: {n} pages, {total / 1e6:.1f} MB of HTML, in {out}")


if __name__ == "__main__":
    main()
