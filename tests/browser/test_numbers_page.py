"""The numbers page in Chromium: generate in fiction mode, copy, download, check."""

from __future__ import annotations

from pathlib import Path

import phonenumbers
import pytest
from playwright.sync_api import expect

from ringfence.services.numbers.fiction import reservations
from ringfence.services.numbers.kinds import type_name
from tests.support.browser import chromium
from tests.support.server import running_server

pytestmark = [pytest.mark.integration, pytest.mark.xdist_group("browser")]


def test_numbers_page(tmp_path: Path) -> None:
    with running_server(tmp_path / "data") as base, chromium() as browser:
        context = browser.new_context(accept_downloads=True)
        page = context.new_page()
        page.goto(base + "/")
        page.click("a[data-service=numbers]")
        page.wait_for_url("**/numbers")
        assert page.locator("#safe").is_checked()

        # Every country with numbers reserved for fiction is listed, with its regulator and the
        # regulator's document.
        listed = page.locator("#fiction-list tbody tr")
        expected = reservations()
        expect(listed).to_have_count(len(expected))
        for i, reservation in enumerate(expected):
            row = listed.nth(i)
            expect(row).to_have_attribute("data-regions", ",".join(reservation.regions))
            cells = row.locator("td")
            expect(cells.nth(1)).to_have_text(reservation.regulator)
            for source in reservation.sources:
                expect(cells.nth(5)).to_contain_text(source)
        for regulator, country in [
            ("Ofcom", "United Kingdom"),
            ("ACMA", "Australia"),
            ("PTS", "Sweden"),
            ("ComReg", "Ireland"),
            ("Bundesnetzagentur", "Germany"),
            ("NANPA", "United States"),
        ]:
            row = listed.filter(has_text=regulator)
            expect(row).to_have_count(1)
            expect(row.locator("td").first).to_contain_text(country)

        page.select_option("#region", "GB")
        page.select_option("#type", "mobile")
        page.fill("#count", "5")
        page.click("#generate button[type=submit]")
        rows = page.locator("#results tbody tr")
        rows.first.wait_for()
        assert rows.count() == 5
        for i in range(5):
            assert rows.nth(i).locator("td").first.inner_text().startswith("+447700900")
            assert rows.nth(i).locator("td").nth(4).inner_text() == "yes"

        # A type the region lacks is disabled; fiction mode for an uncovered country is an error.
        page.select_option("#region", "NL")
        page.select_option("#type", "any")
        page.click("#generate button[type=submit]")
        error = page.locator("#error")
        expect(error).to_contain_text("no range reserved for fiction is known for NL")

        page.uncheck("#safe")
        page.click("#generate button[type=submit]")
        expect(error).to_have_text("")
        rows.first.wait_for()
        assert rows.first.locator("td").first.inner_text().startswith("+31")

        with page.expect_download() as info:
            page.click("#download")
        content = Path(info.value.path()).read_text()
        assert content.startswith("national,region,type,fictional,reserved_by\n0")
        # Each row's own type, as libphonenumber reports it, not the "any" that was asked for.
        for line in content.splitlines()[1:]:
            national, _, own, _, _ = line.split(",")
            number = phonenumbers.parse(national, "NL")
            assert own == type_name(phonenumbers.number_type(number))

        # An area code: every number starts with it; one no number has is an error to fix.
        page.select_option("#region", "GB")
        page.fill("#prefix", "20")
        page.select_option("#format", "rfc3966")
        page.click("#generate button[type=submit]")
        expect(rows.first.locator("td").nth(1)).to_contain_text("tel:+44-20-")
        for i in range(rows.count()):
            assert rows.nth(i).locator("td").first.inner_text().startswith("+4420")
        page.fill("#prefix", "020")
        page.click("#generate button[type=submit]")
        expect(error).to_contain_text("without the trunk prefix 0: try 20")
        page.fill("#prefix", "")

        # The check reads as text: the number's own type, and who reserves a fiction number.
        page.fill("#check-number", "+44 7700 900123")
        page.click("#check button")
        result = page.locator("#check-result")
        expect(result.locator("dd[data-field=type]")).to_have_text("mobile")
        expect(result.locator("dd[data-field=valid]")).to_have_text("no")
        expect(page.locator("#check-verdict")).to_contain_text("Not a valid number")
        expect(page.locator("#check-verdict")).to_contain_text("reserved for fiction")
        expect(result.locator("dd[data-field=fiction]")).to_contain_text(
            "reserved for drama by Ofcom"
        )
        page.fill("#check-number", "+44 20 7946 0123")
        page.click("#check button")
        expect(result.locator("dd[data-field=place]")).to_have_text("London")
        expect(result.locator("dd[data-field=type]")).to_have_text("fixed line")
        # A verdict in one sentence, the country by its name, never its code.
        expect(page.locator("#check-verdict")).to_have_text(
            "A valid fixed line number in United Kingdom (London)."
            " It is reserved for fiction, so it never rings anyone."
        )
        expect(result.locator("dd[data-field=region]")).to_have_text("United Kingdom")
        page.fill("#check-number", "+90 212 555 1234")
        page.click("#check button")
        expect(result.locator("dd[data-field=region]")).to_have_text("Türkiye")
        assert "Türkiye" in page.inner_text("#check-verdict")
        # Every country select says the names countries use now.
        names = page.eval_on_selector_all("#region option", "os => os.map(o => o.text)")
        assert "Czechia (+420)" in names and "Turkey (+90)" not in names
        page.fill("#check-number", "hello")
        page.click("#check button")
        expect(page.locator("#check-error")).to_contain_text("not a phone number")

        # A file of numbers: national ones read for the chosen country, a bad row judged too.
        page.set_input_files(
            "#check-file-input",
            files=[
                {
                    "name": "numbers.csv",
                    "mimeType": "text/csv",
                    "buffer": b"name,phone\nann,020 7946 0123\nbob,hello\ncat,+1 800 555 0199\n",
                }
            ],
        )
        page.click("#check-file button[type=submit]")
        expect(page.locator("#check-file-summary")).to_have_text("3 rows checked: 2 valid, 1 not.")
        with page.expect_download() as verdicts:
            page.click("#check-file-download")
        lines = Path(verdicts.value.path()).read_text().splitlines()
        assert lines[0].startswith("line,input,valid") and len(lines) == 4
        assert lines[1].startswith("2,020 7946 0123,true,true,fixed_line,GB,+442079460123")
        assert "not a phone number" in lines[2]
        context.close()
