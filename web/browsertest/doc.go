// Package browsertest drives the pages in real headless Chromium (Debian's chromium, through chromedp), as a
// person uses them, with an axe-core accessibility audit of each page. Run alone with
// `go test ./web/browsertest`; the tests skip when chromium is absent, unless CI=true. axe-core is loaded from
// web/testdata/node_modules (`npm install --prefix web/testdata axe-core@4.10.3`, as .ci/run does).
// RIGHTSDESK_SCREENSHOTS=DIR saves screenshots of the main pages at desktop and phone widths.
package browsertest
