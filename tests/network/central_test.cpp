// Central as a real mutual-TLS peer sees it: idempotent submissions, refusals, the case register,
// status.
#include "support.hpp"

#include <network/protocol.hpp>
#include <network/receipt.hpp>
#include <network/seal.hpp>

#include <catch2/catch.hpp>
#include <cstdio>
#include <fstream>
#include <thread>

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
    CHECK(otherBody.body["code"] == "idempotency-key-reused"); // the kiosk holds such a filing

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

TEST_CASE("central wants an Idempotency-Key and a kiosk signature and a kiosk certificate, and "
          "half-sent requests do not hold other kiosks up",
    "[central]")
{
    TempDir tmp;
    RunningCentral central(pkiDir(), tmp / "central.db");
    writeFile(tmp / "one.der", sealFiling("one"));

    SECTION("a kiosk is answered at once while 12 other kiosk connections each hold a request "
            "half sent")
    {
        // Each connection holds one of central's workers until its request is complete or times out
        // (5 s). With cpp-httplib's default pool (8 workers on two cores) the 13th kiosk waited for
        // those timeouts; central runs enough workers for a busy fleet (server.cpp).
        const auto& pki = pkiDir();
        std::vector<std::unique_ptr<Process>> holders;
        for (int i = 0; i < 12; ++i) {
            holders.push_back(std::make_unique<Process>(
                std::vector<std::string> { "/usr/bin/openssl", "s_client", "-connect",
                    "127.0.0.1:" + std::to_string(central.port()), "-servername",
                    "central.shensu.test", "-tls1_3", "-nocommands", "-CAfile",
                    (pki / "central-ca.pem").string(), "-cert", (pki / "kiosk-device.pem").string(),
                    "-key", (pki / "kiosk-device.key").string() },
                std::map<std::string, std::string> {},
                tmp / ("holder" + std::to_string(i) + ".log")));
            // The request line and one header, sent once the handshake is done, then nothing:
            // central's worker waits for the rest.
            holders.back()->writeLine("POST /v1/cases/status HTTP/1.1\r");
            holders.back()->writeLine("Host: central.shensu.test\r");
        }
        // Central's side of every holder's TCP connection is established (in the kernel's accept
        // queue at least; central takes connections in order) before the kiosk's: the holders'
        // handshakes and half requests follow while workers are free. (s_client's own output is
        // buffered until its handshake, which is what a held-up central would delay.)
        const auto established = [port = central.port()] {
            std::ifstream tcp("/proc/net/tcp");
            std::string line;
            int count = 0;
            char local[64];
            while (std::getline(tcp, line)) {
                unsigned address = 0, localPort = 0, state = 0;
                if (std::sscanf(
                        line.c_str(), " %*d: %8x:%4x %63s %2x", &address, &localPort, local, &state)
                        == 4
                    && static_cast<int>(localPort) == port && state == 1)
                    ++count;
            }
            return count;
        };
        for (int i = 0; i < 100 && established() < 12; ++i)
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
        REQUIRE(established() >= 12);
        std::this_thread::sleep_for(std::chrono::milliseconds(200));

        const auto start = std::chrono::steady_clock::now();
        const auto answer
            = queryStatus(central, tmp / "status.json", "1151123-0001", "0123456789012347");
        const auto took = std::chrono::steady_clock::now() - start;
        CHECK(answer.status == 404);
        INFO(
            "answered after " << std::chrono::duration_cast<std::chrono::milliseconds>(took).count()
                              << " ms");
        CHECK(took < std::chrono::seconds(3));
        holders.clear(); // before central stops: its workers would wait out their requests
    }
    SECTION("no Idempotency-Key: 400")
    {
        const auto refused = post(central, "/v1/submissions", tmp / "one.der", { CMS });
        CHECK(refused.status == 400);
        CHECK(refused.body["code"] == "idempotency-key");
    }
    SECTION("an envelope that does not open: 422")
    {
        writeFile(tmp / "junk.der", "not a cms envelope");
        const auto refused
            = post(central, "/v1/submissions", tmp / "junk.der", { CMS, "Idempotency-Key: k-1" });
        CHECK(refused.status == 422);
        CHECK(refused.body["code"] == "envelope");
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
        const auto refused = post(
            central, "/v1/submissions", tmp / "relayed.der", { CMS, "Idempotency-Key: k-3" });
        CHECK(refused.status == 422);
        CHECK(refused.body["code"] == "signer");
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
