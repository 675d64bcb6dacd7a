// Central as a real mutual-TLS peer sees it: idempotent submissions, refusals, the case register,
// status.
#include "support.hpp"

#include <network/protocol.hpp>
#include <network/receipt.hpp>
#include <network/seal.hpp>

#include <catch2/catch.hpp>

using namespace shensu;
using namespace shensu::testing;
namespace fs = std::filesystem;

TEST_CASE("central answers a replayed Idempotency-Key with the byte-identical signed receipt and "
          "refuses it for another body",
    "[central][storage]")
{
    TempDir tmp;
    RunningCentral central(pkiDir(), tmp / "central.db");
    writeFile(tmp / "one.der", sealFiling("one"));
    writeFile(tmp / "two.der", sealFiling("two"));
    const std::string key = "Idempotency-Key: 3f0c1e8a-1111-4222-8333-444455556666";

    const auto first = post(central, "/v1/submissions", tmp / "one.der", { CMS, key });
    REQUIRE(first.curlExit == 0);
    REQUIRE(first.status == 201);
    const std::string envelope = readFile(tmp / "one.der");
    const auto envelopeBytes
        = std::span(reinterpret_cast<const unsigned char*>(envelope.data()), envelope.size());
    const network::ReceiptVerifier verifier(pkiDir() / "central-receipt.pem");
    const auto receipt
        = verifier.verify(first.raw, envelopeBytes, "3f0c1e8a-1111-4222-8333-444455556666");
    CHECK(matchesShape(receipt.caseNumber, "9999999-0001"));
    CHECK(receipt.verificationCode.size() == 16);
    CHECK(receipt.kioskId == "KIOSK-TEST-01");
    CHECK(receipt.envelopeDigest == network::openssl::hex(network::openssl::sha256(envelopeBytes)));

    const auto replay = post(central, "/v1/submissions", tmp / "one.der", { CMS, key });
    CHECK(replay.status == 200);
    CHECK(replay.raw == first.raw);

    const auto otherBody = post(central, "/v1/submissions", tmp / "two.der", { CMS, key });
    CHECK(otherBody.status == 422);

    const auto cases = storedCases(tmp / "central.db");
    REQUIRE(cases.size() == 1);
    CHECK(cases[0]["caseNumber"] == receipt.caseNumber);
    CHECK(cases[0]["kioskId"] == "KIOSK-TEST-01");
    CHECK(cases[0]["idempotencyKey"] == "3f0c1e8a-1111-4222-8333-444455556666");
    CHECK(cases[0]["receivedAt"] == receipt.receivedAt);

    SECTION("the case status needs the right verification code and says nothing otherwise")
    {
        writeFile(tmp / "status.json",
            nlohmann::json { { "caseNumber", receipt.caseNumber },
                { "verificationCode", receipt.verificationCode } }
                .dump());
        const auto status = post(
            central, "/v1/cases/status", tmp / "status.json", { "Content-Type: application/json" });
        CHECK(status.status == 200);
        CHECK(status.body["status"] == "received");
        CHECK(status.body["receivedAt"] == receipt.receivedAt);

        writeFile(tmp / "wrong.json",
            nlohmann::json {
                { "caseNumber", receipt.caseNumber }, { "verificationCode", "0000000000000000" } }
                .dump());
        const auto wrong = post(
            central, "/v1/cases/status", tmp / "wrong.json", { "Content-Type: application/json" });
        writeFile(tmp / "none.json",
            nlohmann::json {
                { "caseNumber", "0000000-9999" }, { "verificationCode", receipt.verificationCode } }
                .dump());
        const auto none = post(
            central, "/v1/cases/status", tmp / "none.json", { "Content-Type: application/json" });
        CHECK(wrong.status == 404);
        CHECK(none.status == 404);
        CHECK(wrong.body == none.body);
    }
}

TEST_CASE(
    "central wants an Idempotency-Key and a kiosk signature and a kiosk certificate", "[central]")
{
    TempDir tmp;
    RunningCentral central(pkiDir(), tmp / "central.db");
    writeFile(tmp / "one.der", sealFiling("one"));

    SECTION("no Idempotency-Key: 400")
    {
        CHECK(post(central, "/v1/submissions", tmp / "one.der", { CMS }).status == 400);
    }
    SECTION("an envelope that does not open: 422")
    {
        writeFile(tmp / "junk.der", "not a cms envelope");
        CHECK(post(central, "/v1/submissions", tmp / "junk.der", { CMS, "Idempotency-Key: k-1" })
                  .status
            == 422);
    }
    SECTION("an envelope signed by another kiosk: 422")
    {
        // A second device of the same kiosk CA: it verifies, but it is not the kiosk on this
        // connection.
        const auto& pki = pkiDir();
        const auto otherKiosk = kioskIdentity("kiosk-device-2"); // KIOSK-TEST-02
        const network::Sealer other(
            otherKiosk.cert, otherKiosk.key, pki / "central-encryption.pem");
        const auto sealed
            = other.seal(network::protocol::canonicalBytes(syntheticFiling("relayed")));
        writeFile(tmp / "relayed.der", std::string(sealed.begin(), sealed.end()));
        CHECK(post(central, "/v1/submissions", tmp / "relayed.der", { CMS, "Idempotency-Key: k-3" })
                  .status
            == 422);
    }
    SECTION("without a client certificate the TLS handshake is refused and there is no HTTP answer")
    {
        const auto refused = post(
            central, "/v1/submissions", tmp / "one.der", { CMS, "Idempotency-Key: k-2" }, true);
        CHECK(refused.curlExit != 0);
        CHECK(refused.status == 0);
    }
    SECTION("a TLS 1.2 client is refused even with a kiosk certificate")
    {
        const auto& pki = pkiDir();
        const auto tls12 = run({ "curl", "-sS", "--tls-max", "1.2", "--resolve", central.resolve(),
            "--cacert", (pki / "central-ca.pem").string(), "--cert",
            (pki / "kiosk-device.pem").string(), "--key", (pki / "kiosk-device.key").string(), "-H",
            CMS, "-H", "Idempotency-Key: k-4", "--data-binary", "@" + (tmp / "one.der").string(),
            central.url() + "/v1/submissions" });
        INFO(tls12.output << tls12.errors);
        CHECK(tls12.exitCode == 35); // CURLE_SSL_CONNECT_ERROR: protocol version alert
    }
    CHECK(storedCases(tmp / "central.db").empty());
}

TEST_CASE("central stops cleanly on SIGTERM even right after it says it is listening", "[central]")
{
    // The signal can arrive before the accept loop runs; it must still stop (this once hung).
    TempDir tmp;
    for (int i = 0; i < 20; ++i) {
        RunningCentral central(pkiDir(), tmp / "central.db");
        CHECK(central.stop() == 0);
    }
}
