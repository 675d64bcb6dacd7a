// Central judges who filed (issue 5): a citizen-certificate filing must carry the card's signature
// by a MOICA certificate of the person named, a health-card filing central's identity assertion,
// an anonymous filing neither. Real central over mutual TLS; the card is a software key from
// make-test-pki (the PKCS#11 path is tested end to end in tests/e2e).
#include "support.hpp"

#include <network/identity_assertion.hpp>
#include <network/outbox.hpp>
#include <network/seal.hpp>

#include <catch2/catch.hpp>

using namespace shensu;
using namespace shensu::testing;
using nlohmann::json;

namespace
{
json filingBy(const json& filer)
{
    json filing = syntheticFiling("filer-check");
    filing["filer"] = filer;
    return filing;
}
const json CITIZEN = { { "method", "citizen_certificate" }, { "name", "林測試" },
    { "agency", "測試市政府人事處" } };

// Posts one envelope; returns the HTTP status and central's error text.
std::pair<int, std::string> submit(
    const RunningCentral& central, const TempDir& tmp, const std::string& envelope)
{
    static int n = 0;
    const auto file = tmp / ("f" + std::to_string(++n) + ".der");
    writeFile(file, envelope);
    const auto answer
        = post(central, "/v1/submissions", file, { CMS, "Idempotency-Key: " + network::newUuid() });
    REQUIRE(answer.curlExit == 0);
    return { answer.status, answer.body.value("error", "") };
}

network::CardSigner card(const std::string& stem)
{
    return softwareCardSigner(pkiDir() / (stem + ".pem"), pkiDir() / (stem + ".key"));
}

json assertion(const std::string& name, const std::string& kioskId, int minutesLeft = 30)
{
    const network::AssertionSigner signer(
        pkiDir() / "central-receipt.pem", pkiDir() / "central-receipt.key");
    const auto now = std::chrono::system_clock::now();
    const auto stamp = [](std::chrono::system_clock::time_point t) {
        const std::time_t c = std::chrono::system_clock::to_time_t(t);
        std::tm tm {};
        gmtime_r(&c, &tm);
        char buf[32];
        std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
        return std::string(buf);
    };
    return signer.sign(
        { network::newUuid(), "nhi", "000012345678", name, "測試市政府人事處", kioskId,
            stamp(now - std::chrono::minutes(1)), stamp(now + std::chrono::minutes(minutesLeft)) });
}
} // namespace

TEST_CASE("central takes a citizen-certificate filing signed by the filer's card and refuses one "
          "without it, from a foreign CA, revoked, or from another person's card",
    "[central][filer]")
{
    TempDir tmp;
    RunningCentral central(pkiDir(), tmp / "central.db", "central-server", 0, "central-receipt",
        centralAuthArgs(pkiDir()));

    CHECK(submit(central, tmp, sealFiling(filingBy(CITIZEN), card("citizen"))).first == 201);
    CHECK(storedCases(tmp / "central.db").size() == 1);

    CHECK(submit(central, tmp, sealFiling(filingBy(CITIZEN), {}))
        == std::pair<int, std::string>(422, "citizen_certificate filing without a card signature"));

    // A certificate with the filer's very subject, issued by a CA central does not trust.
    const auto foreign = run({ "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-utf8",
        "-days", "2", "-subj", "/C=TW/CN=林測試/serialNumber=0000000112345678", "-addext",
        "keyUsage=critical,digitalSignature", "-keyout", (tmp / "foreign.key").string(), "-out",
        (tmp / "foreign.pem").string() });
    REQUIRE(foreign.exitCode == 0);
    CHECK(submit(central, tmp,
              sealFiling(
                  filingBy(CITIZEN), softwareCardSigner(tmp / "foreign.pem", tmp / "foreign.key")))
        == std::pair<int, std::string>(422, "card signature refused: certificate_invalid"));

    const json revoked = { { "method", "citizen_certificate" }, { "name", "林撤銷" },
        { "agency", "測試市政府人事處" } };
    CHECK(submit(central, tmp, sealFiling(filingBy(revoked), card("citizen-revoked")))
        == std::pair<int, std::string>(422, "card signature refused: certificate_revoked"));

    // 林測試's card under a filing that names 陳測試.
    const json other = { { "method", "citizen_certificate" }, { "name", "陳測試" },
        { "agency", "測試縣政府秘書處" } };
    CHECK(submit(central, tmp, sealFiling(filingBy(other), card("citizen")))
        == std::pair<int, std::string>(422, "card signer is not the filer"));

    // A card whose holder MOICA names differently from the account it is bound to.
    const json mismatch = { { "method", "citizen_certificate" }, { "name", "林不符" },
        { "agency", "測試縣政府秘書處" } };
    CHECK(submit(central, tmp, sealFiling(filingBy(mismatch), card("citizen-mismatch")))
        == std::pair<int, std::string>(422, "card signature refused: owner_mismatch"));

    CHECK(storedCases(tmp / "central.db").size() == 1);
}

TEST_CASE("an anonymous filing carries no card signature and no identity, and a health-card filing "
          "needs central's assertion for this kiosk and name",
    "[central][filer]")
{
    TempDir tmp;
    RunningCentral central(pkiDir(), tmp / "central.db", "central-server", 0, "central-receipt",
        centralAuthArgs(pkiDir()));

    CHECK(submit(central, tmp, sealFiling(filingBy("anonymous"), {})).first == 201);
    CHECK(submit(central, tmp, sealFiling(filingBy("anonymous"), card("citizen")))
        == std::pair<int, std::string>(422, "anonymous filing carries a card signature"));

    const json health = { { "method", "health_card" }, { "name", "林測試" } };
    CHECK(submit(central, tmp, sealFiling(filingBy(health), {}))
        == std::pair<int, std::string>(422, "health_card filing without an identity assertion"));
    json withAssertion = health;
    withAssertion["assertion"] = assertion("林測試", "KIOSK-TEST-01");
    CHECK(submit(central, tmp, sealFiling(filingBy(withAssertion), {})).first == 201);

    json otherKiosk = health;
    otherKiosk["assertion"] = assertion("林測試", "KIOSK-TEST-99");
    CHECK(submit(central, tmp, sealFiling(filingBy(otherKiosk), {}))
        == std::pair<int, std::string>(
            422, "health_card filing: identity assertion: issued to another kiosk"));
    json otherName = health;
    otherName["assertion"] = assertion("陳測試", "KIOSK-TEST-01");
    CHECK(submit(central, tmp, sealFiling(filingBy(otherName), {}))
        == std::pair<int, std::string>(422, "identity assertion is not the filer's"));
    json withCard = withAssertion;
    CHECK(submit(central, tmp, sealFiling(filingBy(withCard), card("citizen")))
        == std::pair<int, std::string>(
            422, "card signature on a filing whose filer is not citizen_certificate"));

    CHECK(storedCases(tmp / "central.db").size() == 2);
}

TEST_CASE(
    "a central without the login service refuses citizen-certificate filings", "[central][filer]")
{
    TempDir tmp;
    RunningCentral central(pkiDir(), tmp / "central.db");
    CHECK(submit(central, tmp, sealFiling(filingBy(CITIZEN), card("citizen")))
        == std::pair<int, std::string>(
            422, "central checks no citizen certificates (started without --moica-ca)"));
    CHECK(storedCases(tmp / "central.db").empty());
}
