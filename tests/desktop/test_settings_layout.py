"""Settings keeps its place while its forms fill in: the keychain's status, the MCP snippet for
other AI apps and the About facts arrive after the first render, and none of them may move what
is below them (a person, or WebDriver, clicking Updates would otherwise hit whatever slid under
the pointer)."""

from harness import WebDriver, app_binary, app_environment, wait_for, write_settings

# Records where the Updates card sits (in the scrolled pane's coordinates) after every change
# to the page, from the moment Settings first renders.
WATCH_UPDATES_CARD = """
window.__updatesTops = [];
const record = () => {
  const card = document.getElementById('updates');
  if (!card) return;
  const pane = card.closest('.pane');
  window.__updatesTops.push(Math.round(card.getBoundingClientRect().top + (pane ? pane.scrollTop : 0)));
};
new MutationObserver(record).observe(document.body, {childList: true, subtree: true, characterData: true});
"""


def test_settings_keeps_its_place_while_its_forms_fill_in(xvfb, tmp_path):
    env = app_environment(tmp_path, xvfb.display)
    write_settings(tmp_path)
    driver = WebDriver(env, app_binary(), tmp_path / "webdriver.log")
    try:
        wait_for(lambda: driver.script("return document.querySelector('nav.sidebar') !== null"), 60, "the main view")
        driver.script(WATCH_UPDATES_CARD)
        driver.click("nav.sidebar button[data-view=settings]")
        wait_for(lambda: '"mcp"' in driver.script("return document.querySelector('.config-snippet')?.textContent ?? ''"),
                 30, "the MCP snippet")
        wait_for(lambda: "Checking" not in driver.script(
            "return document.querySelector('[data-testid=secret-status]')?.textContent ?? 'Checking'"),
            30, "the keychain's answer")
        wait_for(lambda: driver.script("return document.querySelector('dl.facts')?.getAttribute('aria-busy') === 'false'"),
                 30, "the About facts")
        tops = driver.script("return window.__updatesTops")
        assert tops, "the Updates card never rendered"
        assert len(set(tops)) == 1, f"the Updates card moved while Settings filled in: {tops}"
    finally:
        driver.close()
