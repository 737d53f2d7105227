"""Single numbers handed out from buffers filled in bulk: valid, of their own type, with bulk's
length distribution, and reproducible with a seed (the generator's, or Faker's)."""

from __future__ import annotations

from collections import Counter

import phonenumbers
import pytest
from faker import Faker
from phonenumbers import PhoneNumberType

from ringfence.services.numbers import FakerProvider
from ringfence.services.numbers.buffers import LARGEST, SMALLEST
from ringfence.services.numbers.generator import NumberGenerator, Request
from ringfence.services.numbers.kinds import TYPE_CODES
from ringfence.services.numbers.national import NationalWriter

# More than the first buffers hold (16 + 32 + 64 + 128), so refills are crossed.
N = 300
REGIONS = ["US", "GB", "DE", "IT", "JP", "BR", "IN", "FR", "AR", "RU", "KZ", "AU"]
MIXED = {PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE, PhoneNumberType.FIXED_LINE_OR_MOBILE}


def _faker(locale: str = "en_US") -> Faker:
    fake = Faker(locale)
    fake.add_provider(FakerProvider)
    return fake


def _nsn_length(e164: str) -> int:
    return len(phonenumbers.national_significant_number(phonenumbers.parse(e164, None)))


@pytest.mark.parametrize("region", REGIONS)
def test_buffered_single_draws_are_valid_and_of_the_requested_type(region: str) -> None:
    generator = NumberGenerator(5)
    for kind in ("mobile", "fixed_line", None):
        for e164 in [generator.e164(Request(region, kind)) for _ in range(N)]:
            number = phonenumbers.parse(e164, None)
            assert phonenumbers.is_valid_number_for_region(number, region), (region, kind, e164)
            found = phonenumbers.number_type(number)
            if kind is None:
                assert found in MIXED, (region, e164, found)
            elif found != PhoneNumberType.FIXED_LINE_OR_MOBILE:
                assert found == TYPE_CODES[kind], (region, kind, e164, found)


def test_faker_single_draws_are_valid_of_their_type_and_in_national_format() -> None:
    for locale, region in [("en_US", "US"), ("en_GB", "GB"), ("de_DE", "DE"), ("it_IT", "IT")]:
        fake = _faker(locale)
        for _ in range(N):
            number = phonenumbers.parse(fake.valid_phone_number(), None)
            assert phonenumbers.is_valid_number_for_region(number, region)
            text = fake.phone_number()
            national = phonenumbers.parse(text, region)
            assert phonenumbers.is_valid_number_for_region(national, region), text
            assert text == phonenumbers.format_number(
                national, phonenumbers.PhoneNumberFormat.NATIONAL
            )
        mobile = phonenumbers.parse(fake.valid_phone_number(region="BR", type="mobile"), None)
        assert phonenumbers.number_type(mobile) == PhoneNumberType.MOBILE
        fiction = fake.fictional_phone_number("GB", "mobile")
        assert fiction.startswith("+447700900")


@pytest.mark.parametrize(("region", "kind"), [("DE", "fixed_line"), ("IT", "fixed_line")])
def test_single_draws_follow_the_bulk_length_distribution(region: str, kind: str) -> None:
    n = 6000  # a share's standard error is below 0.007; the tolerance is 0.035
    request = Request(region, kind)
    generator = NumberGenerator(9)
    single = Counter(_nsn_length(generator.e164(request)) for _ in range(n))
    bulk: Counter[int] = Counter()
    for batch in NumberGenerator(10).bulk(request, n):
        bulk.update(_nsn_length(b.decode()) for b in batch.tolist())
    assert len(bulk) > 3  # several lengths, so the comparison means something
    for length in set(single) | set(bulk):
        assert abs(single[length] - bulk[length]) / n < 0.035, (length, single, bulk)
    fake = _faker("de_DE") if region == "DE" else _faker("it_IT")
    faked = Counter(_nsn_length(fake.valid_phone_number(type=kind)) for _ in range(n))
    for length in set(faked) | set(bulk):
        assert abs(faked[length] - bulk[length]) / n < 0.035, (length, faked, bulk)


def test_a_seed_gives_the_same_single_numbers_across_refills() -> None:
    requests = [Request("US"), Request("GB", "mobile"), Request("GB", None, safe=True)]

    def run(seed: int) -> list[str]:
        generator = NumberGenerator(seed)
        return [generator.e164(requests[i % 3]) for i in range(3 * LARGEST // 4)]

    assert run(4) == run(4)
    assert run(4) != run(5)
    assert list(NumberGenerator(4).numbers(Request("FR"), 500)) == list(
        NumberGenerator(4).numbers(Request("FR"), 500)
    )


def test_faker_seed_reproduces_numbers_across_refills_reseeds_and_mixed_calls() -> None:
    fake = _faker("en_GB")
    Faker.seed(3)
    first = [fake.valid_phone_number() for _ in range(N)]
    Faker.seed(3)  # a reseed mid-buffer is noticed: the same numbers again
    assert [fake.valid_phone_number() for _ in range(N)] == first
    other = _faker("en_GB")  # a fresh provider on the same seed agrees
    Faker.seed(3)
    assert [other.valid_phone_number() for _ in range(N)] == first
    Faker.seed(4)
    assert [fake.valid_phone_number() for _ in range(N)] != first

    def mixed(fake: Faker) -> list[str]:
        fake.seed_instance(8)
        return [f"{fake.name()}|{fake.phone_number()}" for _ in range(SMALLEST * 8)]

    once = mixed(_faker("en_GB"))
    assert mixed(_faker("en_GB")) == once
    for line in once:
        text = line.split("|")[1]
        assert phonenumbers.is_valid_number(phonenumbers.parse(text, "GB")), line


def test_faker_seed_gives_the_same_numbers_whatever_the_provider_did_before() -> None:
    """After ``Faker.seed()``, a provider that already handed out numbers (in a long run, or
    between other methods' draws) agrees with a fresh one, for runs and mixed calls alike."""

    def after_seed(fake: Faker) -> list[str]:
        Faker.seed(11)
        out = [fake.valid_phone_number() for _ in range(SMALLEST * 3)]
        for i in range(SMALLEST * 4):  # mixed: another method draws between some calls
            out.append(fake.valid_phone_number())
            if i % 3 == 0:
                fake.name()
        out.extend(fake.valid_phone_number() for _ in range(SMALLEST * 5))
        return out

    fresh = after_seed(_faker("en_GB"))
    histories = {
        "a long run": lambda f: [f.valid_phone_number() for _ in range(SMALLEST * 7 + 3)],
        "mixed calls": lambda f: [(f.valid_phone_number(), f.name()) for _ in range(50)],
        "a run ended by another method": lambda f: [
            *(f.valid_phone_number() for _ in range(SMALLEST * 2)),
            f.name(),
        ],
    }
    for name, history in histories.items():
        used = _faker("en_GB")
        history(used)
        assert after_seed(used) == fresh, name


@pytest.mark.parametrize("region", REGIONS)
def test_national_templates_write_what_phonenumbers_writes(region: str) -> None:
    country_code = phonenumbers.country_code_for_region(region)
    write = NationalWriter(country_code)
    generator = NumberGenerator(12)
    for kind in ("mobile", "fixed_line"):
        for batch in generator.bulk(Request(region, kind), 2000):
            together = write.batch(batch)
            for e164, written in zip((b.decode() for b in batch.tolist()), together, strict=True):
                expected = phonenumbers.format_number(
                    phonenumbers.parse(e164, None), phonenumbers.PhoneNumberFormat.NATIONAL
                )
                assert written == expected, (region, e164)
                assert write(e164) == expected, (region, e164)
