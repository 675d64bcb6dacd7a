// Central's login service as a kiosk meets it: CentralAuth over real mutual TLS against a running
// shensu-central with the test MOICA CA, its CRL and the synthetic personnel directory. Each
// refusal comes from its real cause (a certificate that is expired, revoked, bound to nobody...).
#include "central.hpp"
#include "forwarder_config.hpp"
#include "pki.hpp"
#include "process.hpp"

#include <network/auth_client.hpp>
#include <network/identity_assertion.hpp>
#include <network/openssl.hpp>
#include <network/protocol.hpp>
#include <network/sqlite.hpp>

#include <algorithm>
#include <catch2/catch.hpp>
#include <ctime>
#include <functional>
#include <sstream>
#include <thread>

#include <openssl/hmac.h>
#include <openssl/pem.h>

using namespace shensu;
using namespace shensu::testing;
namespace fs = std::filesystem;
namespace net = shensu::network;

namespace
{
constexpr const char* CARD_NUMBER = "000012345678";
constexpr const char* NHI_PASSWORD = "Ab3456"; // made up for the test, registered at test time

net::ForwarderConfig kioskConfig(const RunningCentral& central,
    const std::string& device = "kiosk-device", const fs::path& pki = pkiDir())
{
    return kioskForwarderConfig(pki, central.port(), device);
}

// A central with the login service on; its NHI registry holds one card (CARD_NUMBER).
struct AuthCentral {
    explicit AuthCentral(std::vector<std::string> more = {}, const fs::path& pki = pkiDir())
        : registry(dir / "nhi.json")
    {
        registerNhiCard(registry, CARD_NUMBER, NHI_PASSWORD, "王健保", "測試區公所");
        start(std::move(more), pki);
    }
    void start(std::vector<std::string> more, const fs::path& pki = pkiDir())
    {
        auto args = centralAuthArgs(pki, registry);
        args.insert(args.end(), more.begin(), more.end());
        central = std::make_unique<RunningCentral>(
            pki, dir / "central.db", "central-server", 0, "central-receipt", args);
    }
    TempDir dir;
    fs::path registry;
    std::unique_ptr<RunningCentral> central;
};

std::string certificateDer(const fs::path& pem)
{
    const auto cert = net::openssl::readCertificate(pem);
    unsigned char* der = nullptr;
    const int len = i2d_X509(cert.get(), &der);
    REQUIRE(len > 0);
    std::string out(reinterpret_cast<char*>(der), static_cast<std::size_t>(len));
    OPENSSL_free(der);
    return out;
}

// RSA PKCS#1 v1.5 with SHA-256, as CKM_SHA256_RSA_PKCS on the card.
std::string sign(const fs::path& keyPem, const std::string& message)
{
    const auto key = net::openssl::readPrivateKey(keyPem);
    net::openssl::MdCtxPtr md(EVP_MD_CTX_new());
    REQUIRE(EVP_DigestSignInit(md.get(), nullptr, EVP_sha256(), nullptr, key.get()) == 1);
    std::size_t size = 0;
    REQUIRE(EVP_DigestSign(md.get(), nullptr, &size,
                reinterpret_cast<const unsigned char*>(message.data()), message.size())
        == 1);
    std::string out(size, '\0');
    REQUIRE(EVP_DigestSign(md.get(), reinterpret_cast<unsigned char*>(out.data()), &size,
                reinterpret_cast<const unsigned char*>(message.data()), message.size())
        == 1);
    out.resize(size);
    return out;
}

// A whole card login as the kiosk does it, with the card's certificate and key from the PKI.
net::CardLoginAnswer cardLogin(net::CentralAuth& auth, const std::string& certStem,
    const std::string& keyStem, const fs::path& pki = pkiDir())
{
    const auto challenge = auth.challenge();
    return auth.cardLogin(challenge, certificateDer(pki / (certStem + ".pem")),
        sign(pki / (keyStem + ".key"),
            net::cardLoginMessage(challenge.challengeId, challenge.nonce)));
}

std::string refusal(const net::CardLoginAnswer& answer)
{
    if (answer.status == net::AuthStatus::UNAVAILABLE)
        return "unavailable: " + answer.unavailable.reason;
    if (answer.status == net::AuthStatus::OK) return "ok";
    return std::string(net::cardRefusalCode(answer.refusal));
}

// `shensu-central serve` with the usual flags and these login-service flags, expected to refuse to
// start: its exit (-1 if it was still running after 10 s: it started) and its stderr.
CommandResult serveThatShouldFail(const std::vector<std::string>& authArgs)
{
    const auto& pki = pkiDir();
    TempDir dir;
    const auto file = [&](const std::string& name) { return (pki / name).string(); };
    std::vector<std::string> argv { (binDir() / "shensu-central").string(), "serve", "--listen",
        "127.0.0.1:0", "--cert", file("central-server.pem"), "--key", file("central-server.key"),
        "--client-ca", file("kiosk-ca.pem"), "--encryption-key", file("central-encryption.key"),
        "--encryption-cert", file("central-encryption.pem"), "--receipt-cert",
        file("central-receipt.pem"), "--receipt-key", file("central-receipt.key"), "--db",
        (dir / "central.db").string() };
    argv.insert(argv.end(), authArgs.begin(), authArgs.end());
    return run(argv, std::chrono::seconds(10));
}

// The login-service flags with another CA certificate or CRL in place of the test MOICA's.
std::vector<std::string> authArgsWith(
    const std::string& caFile, const std::string& crlFile, const fs::path& registry = {})
{
    auto args = centralAuthArgs(pkiDir(), registry);
    args[1] = caFile;
    args[3] = crlFile;
    return args;
}

// A CRL of the test MOICA CA (revoking nothing), signed now and good until nextUpdate, written
// to file (via a temporary and a rename, as an operator would replace it).
void writeMoicaCrl(const fs::path& file, std::chrono::system_clock::time_point nextUpdate)
{
    TempDir work;
    writeFile(work / "index.txt", "");
    writeFile(work / "ca.cnf",
        "[ca]\ndefault_ca = moica\n[moica]\ndatabase = " + (work / "index.txt").string()
            + "\ncertificate = " + (pkiDir() / "moica-ca.pem").string() + "\nprivate_key = "
            + (pkiDir() / "moica-ca.key").string() + "\ndefault_md = sha256\n");
    const std::time_t t = std::chrono::system_clock::to_time_t(nextUpdate);
    std::tm tm {};
    gmtime_r(&t, &tm);
    char next[32];
    std::strftime(next, sizeof next, "%Y%m%d%H%M%SZ", &tm);
    const auto r = run({ "openssl", "ca", "-gencrl", "-config", (work / "ca.cnf").string(),
        "-crl_nextupdate", next, "-out", (work / "new.crl").string() });
    INFO(r.errors);
    REQUIRE(r.exitCode == 0);
    fs::copy_file(work / "new.crl", file.string() + ".tmp", fs::copy_options::overwrite_existing);
    fs::rename(file.string() + ".tmp", file);
}

struct Http {
    int status = 0;
    nlohmann::json body;
};
// A raw POST with the curl CLI as KIOSK-TEST-01 (for bodies CentralAuth never sends).
Http rawPost(const RunningCentral& central, const std::string& path, const std::string& body)
{
    const auto& pki = pkiDir();
    TempDir dir;
    writeFile(dir / "body", body);
    const auto r = run({ "curl", "-sS", "--tlsv1.3", "--resolve", central.resolve(), "--cacert",
        (pki / "central-ca.pem").string(), "--cert", (pki / "kiosk-device.pem").string(), "--key",
        (pki / "kiosk-device.key").string(), "-H", "Content-Type: application/json",
        "--data-binary", "@" + (dir / "body").string(), "-w", "\n%{http_code}",
        central.url() + path });
    REQUIRE(r.exitCode == 0);
    const auto cut = r.output.rfind('\n');
    return { std::stoi(r.output.substr(cut + 1)),
        nlohmann::json::parse(r.output.substr(0, cut), nullptr, false) };
}
} // namespace

TEST_CASE("the card login message is the contract's exact text", "[auth]")
{
    CHECK(net::cardLoginMessage("0b22-uuid", "QUJD+/==")
        == "shensu-card-login-v1:0b22-uuid:QUJD+/==");
}

TEST_CASE("a citizen card that signs a fresh challenge logs in with the directory's name and "
          "agency, and central's log names neither",
    "[auth]")
{
    AuthCentral c;
    net::CentralAuth auth(kioskConfig(*c.central));
    const auto challenge = auth.challenge();
    CHECK(challenge.challengeId.size() == 36);
    const auto nonce = net::openssl::unbase64(challenge.nonce);
    REQUIRE(nonce);
    CHECK(nonce->size() == 32);
    CHECK(challenge.expiresAt.size() == 20);
    CHECK(challenge.expiresAt.back() == 'Z');
    CHECK(auth.challenge().nonce != challenge.nonce);

    const auto answer = auth.cardLogin(challenge, certificateDer(pkiDir() / "citizen.pem"),
        sign(pkiDir() / "citizen.key",
            net::cardLoginMessage(challenge.challengeId, challenge.nonce)));
    REQUIRE(refusal(answer) == "ok");
    CHECK(answer.name == "林測試");
    CHECK(answer.agency == "測試市政府人事處");

    c.central->stop();
    const std::string log = readFile(c.central->logPath());
    CHECK_THAT(log, Catch::Contains("card login from KIOSK-TEST-01: ok"));
    for (const char* personal : { "林測試", "Z100000001", "0000000112345678", "測試市政府人事處" })
        CHECK_THAT(log, !Catch::Contains(personal));
}

TEST_CASE("each certificate refusal comes from its real cause", "[auth]")
{
    AuthCentral c;
    net::CentralAuth auth(kioskConfig(*c.central));
    // Every one of these is signed correctly with the certificate's own key; their holders are in
    // the directory as active unless the case is about the directory.
    CHECK(refusal(cardLogin(auth, "citizen-expired", "citizen-expired")) == "certificate_expired");
    // Not valid before 2040: outside notBefore/notAfter too.
    CHECK(refusal(cardLogin(auth, "citizen-future", "citizen-future")) == "certificate_expired");
    CHECK(refusal(cardLogin(auth, "citizen-revoked", "citizen-revoked")) == "certificate_revoked");
    CHECK(refusal(cardLogin(auth, "citizen-unknown-person", "citizen-unknown-person"))
        == "not_in_personnel");
    CHECK(refusal(cardLogin(auth, "citizen-departed", "citizen-departed")) == "departed");
    CHECK(refusal(cardLogin(auth, "citizen-mismatch", "citizen-mismatch")) == "owner_mismatch");
    // The holder's encryption certificate (keyEncipherment only) may not sign a login.
    CHECK(
        refusal(cardLogin(auth, "citizen-encipher", "citizen-encipher")) == "certificate_invalid");
    // A certificate of a CA other than MOICA: the kiosk device certificate (EC) and a self-made
    // copy of the citizen's own certificate.
    CHECK(refusal(cardLogin(auth, "kiosk-device", "kiosk-device")) == "certificate_invalid");
    TempDir dir;
    REQUIRE(run({ "openssl", "req", "-x509", "-new", "-key", (pkiDir() / "citizen.key").string(),
                    "-subj", "/C=TW/CN=林測試/serialNumber=0000000112345678", "-utf8", "-days",
                    "30", "-addext", "keyUsage=critical,digitalSignature", "-out",
                    (dir / "self.pem").string() })
                .exitCode
        == 0);
    fs::copy_file(pkiDir() / "citizen.key", dir / "self.key");
    CHECK(refusal(cardLogin(auth, "self", "self", dir.path())) == "certificate_invalid");
    // And the good card still logs in on the same central.
    CHECK(refusal(cardLogin(auth, "citizen", "citizen")) == "ok");
}

TEST_CASE("a corrupt certificate is certificate_invalid, and a signature by another key or over "
          "another challenge is bad_signature",
    "[auth]")
{
    AuthCentral c;
    net::CentralAuth auth(kioskConfig(*c.central));
    const std::string der = certificateDer(pkiDir() / "citizen.pem");

    auto loginWith = [&](const std::string& certificate, const std::string& keyStem,
                         const std::string& messageFor = {}) {
        const auto challenge = auth.challenge();
        const std::string message = net::cardLoginMessage(
            messageFor.empty() ? challenge.challengeId : messageFor, challenge.nonce);
        return refusal(
            auth.cardLogin(challenge, certificate, sign(pkiDir() / (keyStem + ".key"), message)));
    };
    std::string garbled = der;
    for (std::size_t i = 20; i < 60; ++i)
        garbled[i] = static_cast<char>(0xFF);
    CHECK(loginWith(garbled, "citizen") == "certificate_invalid");
    CHECK(loginWith(der.substr(0, der.size() / 2), "citizen") == "certificate_invalid");
    CHECK(loginWith(der + "trailing", "citizen") == "certificate_invalid");
    CHECK(loginWith("not a certificate", "citizen") == "certificate_invalid");
    // A card that gave no certificate, or no signature: refusals, not "central unreachable".
    CHECK(loginWith("", "citizen") == "certificate_invalid");
    {
        const auto challenge = auth.challenge();
        CHECK(refusal(auth.cardLogin(challenge, der, "")) == "bad_signature");
    }

    CHECK(loginWith(der, "citizen-departed") == "bad_signature");
    CHECK(loginWith(der, "citizen", "00000000-0000-4000-8000-000000000000") == "bad_signature");
    CHECK(loginWith(der, "citizen") == "ok");
}

TEST_CASE("a challenge is good once, for the kiosk that asked, and not after it expires", "[auth]")
{
    AuthCentral c({ "--challenge-seconds", "1" });
    net::CentralAuth kiosk1(kioskConfig(*c.central));
    net::CentralAuth kiosk2(kioskConfig(*c.central, "kiosk-device-2"));
    const std::string der = certificateDer(pkiDir() / "citizen.pem");
    auto signedFor = [&](const net::Challenge& challenge) {
        return sign(pkiDir() / "citizen.key",
            net::cardLoginMessage(challenge.challengeId, challenge.nonce));
    };

    // Used once: the second use is refused, even right after a success.
    const auto once = kiosk1.challenge();
    CHECK(refusal(kiosk1.cardLogin(once, der, signedFor(once))) == "ok");
    CHECK(refusal(kiosk1.cardLogin(once, der, signedFor(once))) == "challenge_invalid");

    // A refused attempt uses it up too.
    const auto refused = kiosk1.challenge();
    CHECK(refusal(kiosk1.cardLogin(refused, der, "bad signature")) == "bad_signature");
    CHECK(refusal(kiosk1.cardLogin(refused, der, signedFor(refused))) == "challenge_invalid");

    // Unknown.
    net::Challenge made { "00000000-0000-4000-8000-000000000000", once.nonce, once.expiresAt };
    CHECK(refusal(kiosk1.cardLogin(made, der, signedFor(made))) == "challenge_invalid");

    // Another kiosk's (that it is not used up by this is checked with longer-lived challenges in
    // "one kiosk keeps at most 4 challenges...").
    const auto theirs = kiosk2.challenge();
    CHECK(refusal(kiosk1.cardLogin(theirs, der, signedFor(theirs))) == "challenge_invalid");
    const auto mine = kiosk2.challenge();
    CHECK(refusal(kiosk2.cardLogin(mine, der, signedFor(mine))) == "ok");

    // Expired (this central gives challenges 1 s).
    const auto stale = kiosk1.challenge();
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));
    CHECK(refusal(kiosk1.cardLogin(stale, der, signedFor(stale))) == "challenge_invalid");
    const auto fresh = kiosk1.challenge();
    CHECK(refusal(kiosk1.cardLogin(fresh, der, signedFor(fresh))) == "ok");
}

TEST_CASE("malformed login bodies get 400 and use up nothing", "[auth]")
{
    AuthCentral c;
    {
        // A real challenge named in malformed bodies stays good for a proper login.
        net::CentralAuth auth(kioskConfig(*c.central));
        const auto challenge = auth.challenge();
        const std::string der = certificateDer(pkiDir() / "citizen.pem");
        const nlohmann::json noSignature { { "challengeId", challenge.challengeId },
            { "certificate",
                net::openssl::base64(
                    std::span(reinterpret_cast<const unsigned char*>(der.data()), der.size())) } };
        CHECK(rawPost(*c.central, "/v1/auth/card", noSignature.dump()).status == 400);
        const nlohmann::json badBase64 { { "challengeId", challenge.challengeId },
            { "certificate", "%%%" }, { "signature", "AAAA" } };
        CHECK(rawPost(*c.central, "/v1/auth/card", badBase64.dump()).status == 400);
        CHECK(refusal(auth.cardLogin(challenge, der,
                  sign(pkiDir() / "citizen.key",
                      net::cardLoginMessage(challenge.challengeId, challenge.nonce))))
            == "ok");
    }
    CHECK(rawPost(*c.central, "/v1/auth/challenge", "not json").status == 400);
    CHECK(rawPost(*c.central, "/v1/auth/card", "{\"challengeId\":\"x\"}").status == 400);
    const auto bad = rawPost(*c.central, "/v1/auth/card",
        R"({"challengeId":"x","certificate":"%%%","signature":"AAAA"})");
    CHECK(bad.status == 400);
    CHECK(bad.body.contains("error"));
    CHECK(rawPost(*c.central, "/v1/auth/nhi", R"({"cardNumber":"1234","password":"Ab3456"})").status
        == 400);
    CHECK(rawPost(*c.central, "/v1/auth/nhi", R"({"cardNumber":"000012345678","password":"abc"})")
              .status
        == 400);
    // None of these counted against the card.
    net::CentralAuth auth(kioskConfig(*c.central));
    const auto wrong = auth.nhiLogin(CARD_NUMBER, "Wrong1");
    CHECK(wrong.status == net::AuthStatus::REFUSED);
    CHECK(wrong.triesLeft == 2);
}

TEST_CASE("health card: the right password logs in, wrong ones count down to a lock that even "
          "the right password cannot pass, and the lock outlives a restart",
    "[auth][storage]")
{
    AuthCentral c;
    {
        net::CentralAuth auth(kioskConfig(*c.central));
        const auto ok = auth.nhiLogin(CARD_NUMBER, NHI_PASSWORD);
        REQUIRE(ok.status == net::AuthStatus::OK);
        CHECK(ok.name == "王健保");
        CHECK(ok.agency == "測試區公所");

        const auto unknown = auth.nhiLogin("000099999999", NHI_PASSWORD);
        CHECK(unknown.status == net::AuthStatus::REFUSED);
        CHECK(unknown.refusal == net::NhiRefusal::NOT_REGISTERED);

        for (int left : { 2, 1 }) {
            const auto wrong = auth.nhiLogin(CARD_NUMBER, "Wrong1");
            REQUIRE(wrong.status == net::AuthStatus::REFUSED);
            CHECK(wrong.refusal == net::NhiRefusal::WRONG_PASSWORD);
            CHECK(wrong.triesLeft == left);
        }
        const auto third = auth.nhiLogin(CARD_NUMBER, "Wrong1");
        CHECK(third.status == net::AuthStatus::REFUSED);
        CHECK(third.refusal == net::NhiRefusal::LOCKED);
        const auto right = auth.nhiLogin(CARD_NUMBER, NHI_PASSWORD);
        CHECK(right.status == net::AuthStatus::REFUSED);
        CHECK(right.refusal == net::NhiRefusal::LOCKED);
    }
    REQUIRE(c.central->stop() == 0);
    c.start({});
    net::CentralAuth auth(kioskConfig(*c.central));
    const auto after = auth.nhiLogin(CARD_NUMBER, NHI_PASSWORD);
    CHECK(after.status == net::AuthStatus::REFUSED);
    CHECK(after.refusal == net::NhiRefusal::LOCKED);

    c.central->stop();
    const std::string log = readFile(c.central->logPath());
    for (const char* personal : { "王健保", CARD_NUMBER, NHI_PASSWORD, "Wrong1" })
        CHECK_THAT(log, !Catch::Contains(personal));
}

TEST_CASE(
    "health card: a success resets the count, and the count outlives a restart", "[auth][storage]")
{
    AuthCentral c({ "--nhi-max-failures", "4" });
    {
        net::CentralAuth auth(kioskConfig(*c.central));
        CHECK(auth.nhiLogin(CARD_NUMBER, "Wrong1").triesLeft == 3);
        CHECK(auth.nhiLogin(CARD_NUMBER, "Wrong1").triesLeft == 2);
    }
    REQUIRE(c.central->stop() == 0);
    c.start({ "--nhi-max-failures", "4" });
    net::CentralAuth auth(kioskConfig(*c.central));
    CHECK(auth.nhiLogin(CARD_NUMBER, "Wrong1").triesLeft == 1);
    CHECK(auth.nhiLogin(CARD_NUMBER, NHI_PASSWORD).ok());
    const auto wrong = auth.nhiLogin(CARD_NUMBER, "Wrong1");
    CHECK(wrong.refusal == net::NhiRefusal::WRONG_PASSWORD);
    CHECK(wrong.triesLeft == 3);
}

TEST_CASE("health card: the status call says the tries left after failures, locked, not "
          "registered, and back to the full count after a success, and counts nothing itself",
    "[auth][storage]")
{
    AuthCentral c;
    net::CentralAuth auth(kioskConfig(*c.central));
    const auto expectTries = [&](int n) {
        const auto status = auth.nhiStatus(CARD_NUMBER);
        REQUIRE(status.status == net::AuthStatus::OK);
        CHECK(status.state == net::NhiCardState::OK);
        CHECK(status.triesLeft == n);
    };
    expectTries(3);
    expectTries(3); // asking counts nothing
    CHECK(auth.nhiLogin(CARD_NUMBER, "Wrong1").triesLeft == 2);
    expectTries(2);
    CHECK(auth.nhiLogin(CARD_NUMBER, "Wrong1").triesLeft == 1);
    expectTries(1); // the next try is the last: the kiosk warns before it
    CHECK(auth.nhiLogin(CARD_NUMBER, NHI_PASSWORD).ok());
    expectTries(3); // a success resets the count

    for (int i = 0; i < 2; ++i)
        REQUIRE(auth.nhiLogin(CARD_NUMBER, "Wrong1").refusal == net::NhiRefusal::WRONG_PASSWORD);
    REQUIRE(auth.nhiLogin(CARD_NUMBER, "Wrong1").refusal == net::NhiRefusal::LOCKED);
    const auto locked = auth.nhiStatus(CARD_NUMBER);
    REQUIRE(locked.status == net::AuthStatus::OK);
    CHECK(locked.state == net::NhiCardState::LOCKED);

    const auto unknown = auth.nhiStatus("000099999999");
    REQUIRE(unknown.status == net::AuthStatus::OK);
    CHECK(unknown.state == net::NhiCardState::NOT_REGISTERED);

    // The wire format, and malformed bodies refused without a verdict.
    const auto raw = rawPost(*c.central, "/v1/auth/nhi/status", R"({"cardNumber":"000099999999"})");
    CHECK(raw.status == 200);
    CHECK(raw.body == nlohmann::json { { "status", "not_registered" } });
    CHECK(rawPost(*c.central, "/v1/auth/nhi/status", R"({"cardNumber":"1234"})").status == 400);
    CHECK(rawPost(*c.central, "/v1/auth/nhi/status", "not json").status == 400);
    CHECK(rawPost(*c.central, "/v1/auth/nhi/status", "{}").status == 400);
    // A kiosk number that is not a card number never leaves the kiosk.
    CHECK(auth.nhiStatus("12ab").status == net::AuthStatus::UNAVAILABLE);

    // The status survives a restart (the count is central's durable one).
    REQUIRE(c.central->stop() == 0);
    c.start({});
    net::CentralAuth again(kioskConfig(*c.central));
    CHECK(again.nhiStatus(CARD_NUMBER).state == net::NhiCardState::LOCKED);
    c.central->stop();
    const std::string log = readFile(c.central->logPath());
    CHECK_THAT(log, Catch::Contains("health-card status from KIOSK-TEST-01: locked"));
    for (const char* personal : { "王健保", CARD_NUMBER, "000099999999", NHI_PASSWORD })
        CHECK_THAT(log, !Catch::Contains(personal));
}

TEST_CASE("a request without the kiosk's client certificate gets no health-card status", "[auth]")
{
    AuthCentral c;
    TempDir dir;
    writeFile(dir / "body", R"({"cardNumber":"000012345678"})");
    const auto r = run({ "curl", "-sS", "--tlsv1.3", "--resolve", c.central->resolve(), "--cacert",
        (pkiDir() / "central-ca.pem").string(), "-H", "Content-Type: application/json",
        "--data-binary", "@" + (dir / "body").string(), "-w", "\n%{http_code}",
        c.central->url() + "/v1/auth/nhi/status" });
    CHECK_THAT(r.output, !Catch::Contains("triesLeft"));
    CHECK_THAT(r.output, !Catch::EndsWith("200"));
}

TEST_CASE("an unreachable or impostor central is UNAVAILABLE, never a refusal", "[auth]")
{
    const int port = unusedPort();
    net::ForwarderConfig config = kioskForwarderConfig(pkiDir(), port);
    net::CentralAuth auth(config);
    CHECK_THROWS_AS(auth.challenge(), net::AuthUnavailable);
    const auto card = auth.cardLogin({ "id", "nonce", "" }, "der", "sig");
    CHECK(card.status == net::AuthStatus::UNAVAILABLE);
    CHECK_FALSE(card.unavailable.serverRefused);
    const auto nhi = auth.nhiLogin(CARD_NUMBER, NHI_PASSWORD);
    CHECK(nhi.status == net::AuthStatus::UNAVAILABLE);
    CHECK(auth.nhiStatus(CARD_NUMBER).status == net::AuthStatus::UNAVAILABLE);

    {
        // The kiosk's own key does not belong to its certificate (curl 58, SSL_CERTPROBLEM): a
        // kiosk fault, not a central that failed verification.
        AuthCentral c;
        auto broken = kioskConfig(*c.central);
        broken.clientKey = pkiDir() / "kiosk-device-2.key";
        net::CentralAuth misconfigured(broken);
        try {
            misconfigured.challenge();
            FAIL("a challenge with a key that is not the certificate's");
        } catch (const net::AuthUnavailable& e) {
            CHECK_THAT(e.unavailable.reason, Catch::StartsWith("curl 58"));
            CHECK_FALSE(e.unavailable.serverRefused);
        }
    }

    TempDir dir;
    RunningCentral rogue(pkiDir(), dir / "rogue.db", "rogue-server", 0, "central-receipt",
        centralAuthArgs(pkiDir()));
    net::CentralAuth fooled(kioskConfig(rogue));
    try {
        fooled.challenge();
        FAIL("a challenge from a central with another CA");
    } catch (const net::AuthUnavailable& e) {
        CHECK(e.unavailable.serverRefused);
    }
    // A central without the login service: 404 is not an answer either.
    RunningCentral plain(pkiDir(), dir / "plain.db");
    net::CentralAuth noService(kioskConfig(plain));
    CHECK(noService.nhiLogin(CARD_NUMBER, NHI_PASSWORD).status == net::AuthStatus::UNAVAILABLE);
    CHECK(noService.nhiStatus(CARD_NUMBER).status == net::AuthStatus::UNAVAILABLE);
}

TEST_CASE("a health-card login comes with central's signed identity assertion, good for this "
          "kiosk for 30 minutes and for nothing else",
    "[auth]")
{
    AuthCentral c;
    net::CentralAuth auth(kioskConfig(*c.central));
    const auto ok = auth.nhiLogin(CARD_NUMBER, NHI_PASSWORD);
    REQUIRE(ok.ok());
    REQUIRE(ok.assertion.is_object());

    const net::AssertionVerifier verifier(pkiDir() / "central-receipt.pem");
    const auto now = std::chrono::system_clock::now();
    const auto a = verifier.verify(ok.assertion, "KIOSK-TEST-01", now);
    CHECK(a.method == "nhi");
    CHECK(a.cardNumber == CARD_NUMBER);
    CHECK(a.name == "王健保");
    CHECK(a.agency == "測試區公所");
    CHECK(a.assertionId.size() == 36);

    CHECK_THROWS_AS(verifier.verify(ok.assertion, "KIOSK-TEST-02", now), net::AssertionError);
    CHECK_THROWS_AS(verifier.verify(ok.assertion, "KIOSK-TEST-01", now + std::chrono::minutes(31)),
        net::AssertionError);
    CHECK_NOTHROW(verifier.verify(ok.assertion, "KIOSK-TEST-01", now + std::chrono::minutes(29)));
    auto forged = ok.assertion;
    std::string text = forged["assertion"].get<std::string>();
    text.replace(text.find("王健保"), std::string("王健保").size(), "林冒名");
    forged["assertion"] = text;
    CHECK_THROWS_AS(verifier.verify(forged, "KIOSK-TEST-01", now), net::AssertionError);
    // Signed by another key (a central that is not ours).
    const net::AssertionVerifier other(pkiDir() / "rogue-server.pem");
    CHECK_THROWS_AS(other.verify(ok.assertion, "KIOSK-TEST-01", now), net::AssertionError);
    // It is not a receipt, though the same key signs both.
    CHECK_THROWS(
        net::protocol::parseSubmissionReceipt(ok.assertion["assertion"].get<std::string>()));

    // Refusals carry none.
    const auto wrong = auth.nhiLogin(CARD_NUMBER, "Wrong1");
    CHECK(wrong.assertion.is_null());
}

TEST_CASE("central does not start with a MOICA CRL that is stale, another CA's, or missing",
    "[auth][crl]")
{
    const auto& pki = pkiDir();
    const std::string ca = (pki / "moica-ca.pem").string();
    struct Case {
        std::string crl;
        std::string why;
    };
    for (const Case& bad : { Case { (pki / "moica-stale.crl").string(), "has expired" },
             Case { (pki / "rogue.crl").string(), "not issued by the MOICA CA" },
             Case { (pki / "no-such.crl").string(), "cannot read the MOICA CRL" } }) {
        INFO(bad.crl);
        const auto r = serveThatShouldFail(authArgsWith(ca, bad.crl));
        INFO(r.errors);
        CHECK(r.exitCode == 1);
        CHECK_THAT(r.errors, Catch::Contains(bad.why));
        CHECK(r.output.find("listening on") == std::string::npos);
    }
}

TEST_CASE("a MOICA CRL that runs out while central serves makes card logins UNAVAILABLE, never a "
          "refusal of the card, and a fresh CRL put in place is taken without a restart",
    "[auth][crl]")
{
    TempDir dir;
    const fs::path crl = dir / "moica.crl";
    // A CRL good for `window` from now. On a loaded machine central may take long to start: if the
    // CRL has run out before it is up (central then refuses to start), try again with more time.
    std::unique_ptr<RunningCentral> central;
    auto window = std::chrono::seconds(10);
    std::chrono::system_clock::time_point nextUpdate;
    for (int attempt = 1; !central; ++attempt, window *= 2) {
        nextUpdate = std::chrono::system_clock::now() + window;
        writeMoicaCrl(crl, nextUpdate);
        try {
            central = std::make_unique<RunningCentral>(pkiDir(), dir / "central.db",
                "central-server", 0, "central-receipt",
                authArgsWith((pkiDir() / "moica-ca.pem").string(), crl.string()));
        } catch (const std::runtime_error& e) {
            if (attempt == 3) throw;
            WARN("central did not start in time, trying again: " << e.what());
        }
    }
    net::CentralAuth auth(kioskConfig(*central));
    REQUIRE(refusal(cardLogin(auth, "citizen", "citizen")) == "ok");

    std::this_thread::sleep_until(nextUpdate + std::chrono::seconds(1));
    const auto stale = cardLogin(auth, "citizen", "citizen");
    CHECK(stale.status == net::AuthStatus::UNAVAILABLE);
    CHECK_FALSE(stale.unavailable.serverRefused);
    CHECK_THAT(stale.unavailable.reason, Catch::Contains("503"));
    // A revoked card is not told it is revoked either: central cannot know today.
    CHECK(cardLogin(auth, "citizen-revoked", "citizen-revoked").status
        == net::AuthStatus::UNAVAILABLE);

    // Another CA's CRL put in its place is not taken: still unavailable.
    fs::copy_file(pkiDir() / "rogue.crl", dir / "rogue.crl");
    fs::rename(dir / "rogue.crl", crl);
    CHECK(cardLogin(auth, "citizen", "citizen").status == net::AuthStatus::UNAVAILABLE);

    // A fresh one is.
    writeMoicaCrl(crl, std::chrono::system_clock::now() + std::chrono::hours(24));
    CHECK(refusal(cardLogin(auth, "citizen", "citizen")) == "ok");

    central->stop();
    const std::string log = readFile(central->logPath());
    CHECK_THAT(log, Catch::Contains("card login from KIOSK-TEST-01: unavailable: MOICA CA or CRL"));
    CHECK_THAT(log, Catch::Contains("CRL has expired"));
    CHECK_THAT(log, Catch::Contains("new MOICA CRL not taken"));
    CHECK_THAT(log, Catch::Contains("MOICA CRL reloaded"));
}

TEST_CASE("an out-of-date MOICA CA certificate at central is UNAVAILABLE, not the card's expiry",
    "[auth][crl]")
{
    AuthCentral c(authArgsWith(
        (pkiDir() / "moica-ca-expired.pem").string(), (pkiDir() / "moica.crl").string()));
    net::CentralAuth auth(kioskConfig(*c.central));
    const auto answer = cardLogin(auth, "citizen", "citizen");
    CHECK(answer.status == net::AuthStatus::UNAVAILABLE);
    CHECK_FALSE(answer.unavailable.serverRefused);
}

TEST_CASE("a malformed NHI registry entry stops central at start", "[auth]")
{
    TempDir dir;
    const fs::path registry = dir / "nhi.json";
    registerNhiCard(registry, CARD_NUMBER, NHI_PASSWORD, "王健保", "測試區公所");
    const auto good = nlohmann::json::parse(readFile(registry));
    const auto entry = good["cards"][CARD_NUMBER];
    struct Case {
        const char* what;
        std::function<void(nlohmann::json&)> spoil;
    };
    const std::vector<Case> cases {
        { "N missing", [](nlohmann::json& e) { e.erase("N"); } },
        { "r missing", [](nlohmann::json& e) { e.erase("r"); } },
        { "p a string", [](nlohmann::json& e) { e["p"] = "1"; } },
        { "N not a power of two", [](nlohmann::json& e) { e["N"] = 1000; } },
        { "r zero", [](nlohmann::json& e) { e["r"] = 0; } },
        { "p zero", [](nlohmann::json& e) { e["p"] = 0; } },
        { "N·r·128 over 64 MiB", [](nlohmann::json& e) { e["N"] = 1 << 20; } },
        { "hash missing", [](nlohmann::json& e) { e.erase("hash"); } },
    };
    for (const auto& c : cases) {
        INFO(c.what);
        auto spoilt = entry;
        c.spoil(spoilt);
        writeFile(registry, nlohmann::json { { "cards", { { CARD_NUMBER, spoilt } } } }.dump());
        const auto r = serveThatShouldFail(centralAuthArgs(pkiDir(), registry));
        INFO(r.errors);
        CHECK(r.exitCode == 1);
        CHECK_THAT(r.errors, Catch::Contains("NHI registry"));
    }
}

TEST_CASE("one kiosk keeps at most 4 challenges, its oldest going first, and cannot push out "
          "another kiosk's",
    "[auth]")
{
    AuthCentral c;
    net::CentralAuth kiosk1(kioskConfig(*c.central));
    net::CentralAuth kiosk2(kioskConfig(*c.central, "kiosk-device-2"));
    const std::string der = certificateDer(pkiDir() / "citizen.pem");
    auto signedFor = [&](const net::Challenge& challenge) {
        return sign(pkiDir() / "citizen.key",
            net::cardLoginMessage(challenge.challengeId, challenge.nonce));
    };
    const auto theirs = kiosk2.challenge();
    std::vector<net::Challenge> mine;
    for (int i = 0; i < 50; ++i)
        mine.push_back(kiosk1.challenge());
    // The last 4 of kiosk 1's are good, the one before them is gone; kiosk 2's is untouched.
    CHECK(refusal(kiosk1.cardLogin(mine[45], der, signedFor(mine[45]))) == "challenge_invalid");
    CHECK(refusal(kiosk1.cardLogin(mine[46], der, signedFor(mine[46]))) == "ok");
    CHECK(refusal(kiosk1.cardLogin(mine[49], der, signedFor(mine[49]))) == "ok");
    // Kiosk 1 naming kiosk 2's challenge is refused and does not take it away from kiosk 2.
    CHECK(refusal(kiosk1.cardLogin(theirs, der, signedFor(theirs))) == "challenge_invalid");
    CHECK(refusal(kiosk2.cardLogin(theirs, der, signedFor(theirs))) == "ok");
}

TEST_CASE("one challenge redeemed by 8 connections at once logs in exactly once", "[auth]")
{
    AuthCentral c;
    const std::string der = certificateDer(pkiDir() / "citizen.pem");
    std::vector<std::unique_ptr<net::CentralAuth>> kiosks;
    for (int i = 0; i < 8; ++i)
        kiosks.push_back(std::make_unique<net::CentralAuth>(kioskConfig(*c.central)));
    for (auto& k : kiosks)
        k->challenge(); // every connection is up before the race
    const auto challenge = kiosks[0]->challenge();
    const std::string signature = sign(
        pkiDir() / "citizen.key", net::cardLoginMessage(challenge.challengeId, challenge.nonce));
    std::vector<std::string> outcomes(kiosks.size());
    std::vector<std::thread> threads;
    for (std::size_t i = 0; i < kiosks.size(); ++i)
        threads.emplace_back(
            [&, i] { outcomes[i] = refusal(kiosks[i]->cardLogin(challenge, der, signature)); });
    for (auto& t : threads)
        t.join();
    CHECK(std::count(outcomes.begin(), outcomes.end(), "ok") == 1);
    CHECK(std::count(outcomes.begin(), outcomes.end(), "challenge_invalid") == 7);
}

TEST_CASE("8 wrong health-card passwords at once with a limit of 3: exactly 2 wrong_password and "
          "6 locked, and the right password is locked out after",
    "[auth][storage]")
{
    AuthCentral c;
    std::vector<std::unique_ptr<net::CentralAuth>> kiosks;
    for (int i = 0; i < 8; ++i) {
        kiosks.push_back(std::make_unique<net::CentralAuth>(kioskConfig(*c.central)));
        kiosks.back()->challenge(); // connected before the race
    }
    std::vector<net::NhiLoginAnswer> answers(kiosks.size());
    std::vector<std::thread> threads;
    for (std::size_t i = 0; i < kiosks.size(); ++i)
        threads.emplace_back([&, i] { answers[i] = kiosks[i]->nhiLogin(CARD_NUMBER, "Wrong1"); });
    for (auto& t : threads)
        t.join();
    int wrong = 0, locked = 0;
    std::vector<int> triesLeft;
    for (const auto& a : answers) {
        REQUIRE(a.status == net::AuthStatus::REFUSED);
        if (a.refusal == net::NhiRefusal::WRONG_PASSWORD) {
            ++wrong;
            triesLeft.push_back(a.triesLeft);
        }
        if (a.refusal == net::NhiRefusal::LOCKED) ++locked;
    }
    CHECK(wrong == 2);
    CHECK(locked == 6);
    std::sort(triesLeft.begin(), triesLeft.end());
    CHECK(triesLeft == std::vector<int> { 1, 2 });
    CHECK(kiosks[0]->nhiLogin(CARD_NUMBER, NHI_PASSWORD).refusal == net::NhiRefusal::LOCKED);
}

TEST_CASE("the failure table keys cards by a keyed hash: no card number can be recovered from it, "
          "and the key file is owner-only and must not go missing",
    "[auth][storage]")
{
    AuthCentral c;
    {
        net::CentralAuth auth(kioskConfig(*c.central));
        REQUIRE(auth.nhiLogin(CARD_NUMBER, "Wrong1").triesLeft == 2);
    }
    REQUIRE(c.central->stop() == 0);
    const fs::path keyFile = c.dir / "central.db.nhi-key";
    REQUIRE(fs::exists(keyFile));
    CHECK(fs::file_size(keyFile) == 32);
    CHECK((fs::status(keyFile).permissions() & (fs::perms::group_all | fs::perms::others_all))
        == fs::perms::none);

    std::vector<std::string> stored;
    {
        const auto rows = queryCentralDb(c.dir / "central.db", "SELECT card FROM nhi_failures");
        REQUIRE(rows.ok);
        std::istringstream lines(rows.output);
        for (std::string line; std::getline(lines, line);)
            if (!line.empty()) stored.push_back(line);
    }
    REQUIRE(stored.size() == 1);
    // Anyone can hash all 10^12 numbers without the key; with it, the entry is HMAC-SHA256.
    const auto unkeyed = [](const std::string& text) {
        return net::openssl::hex(net::openssl::sha256(
            std::span(reinterpret_cast<const unsigned char*>(text.data()), text.size())));
    };
    CHECK(stored[0] != unkeyed(std::string("shensu-nhi-card-v1:") + CARD_NUMBER));
    CHECK(stored[0] != unkeyed(CARD_NUMBER));
    const std::string key = readFile(keyFile);
    const std::string input = std::string("shensu-nhi-card-v1:") + CARD_NUMBER;
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int size = 0;
    REQUIRE(HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
        reinterpret_cast<const unsigned char*>(input.data()), input.size(), mac, &size));
    CHECK(stored[0] == net::openssl::hex(std::span<const unsigned char>(mac, size)));

    // The same key after a restart: the count is still there.
    c.start({});
    {
        net::CentralAuth auth(kioskConfig(*c.central));
        CHECK(auth.nhiLogin(CARD_NUMBER, "Wrong1").triesLeft == 1);
    }
    REQUIRE(c.central->stop() == 0);
    // Without it the counts would be lost (locked cards unlocked): central does not start.
    fs::remove(keyFile);
    auto args = centralAuthArgs(pkiDir(), c.registry);
    const auto file = [&](const std::string& name) { return (pkiDir() / name).string(); };
    std::vector<std::string> argv { (binDir() / "shensu-central").string(), "serve", "--listen",
        "127.0.0.1:0", "--cert", file("central-server.pem"), "--key", file("central-server.key"),
        "--client-ca", file("kiosk-ca.pem"), "--encryption-key", file("central-encryption.key"),
        "--encryption-cert", file("central-encryption.pem"), "--receipt-cert",
        file("central-receipt.pem"), "--receipt-key", file("central-receipt.key"), "--db",
        centralDb(c.dir / "central.db") };
    argv.insert(argv.end(), args.begin(), args.end());
    if (testingPostgres()) argv.insert(argv.end(), { "--nhi-key", keyFile.string() });
    const auto r = run(argv, std::chrono::seconds(10));
    CHECK(r.exitCode == 1);
    CHECK_THAT(r.errors, Catch::Contains("NHI counter key"));
}

TEST_CASE("central refuses to start with another NHI key, or to make a new one, once the database "
          "has a key check value (a fleet's centrals sharing PostgreSQL, or one central's SQLite)",
    "[auth][storage]")
{
    AuthCentral c; // made the key file and stored its check value
    {
        net::CentralAuth auth(kioskConfig(*c.central));
        REQUIRE(auth.nhiLogin(CARD_NUMBER, NHI_PASSWORD).ok()); // no failure row is left
    }
    REQUIRE(c.central->stop() == 0);
    const fs::path keyFile = c.dir / "central.db.nhi-key";
    REQUIRE(fs::exists(keyFile));
    const auto checks
        = queryCentralDb(c.dir / "central.db", "SELECT check_value FROM nhi_key_check");
    REQUIRE(checks.ok);
    const std::string key = readFile(keyFile);
    const std::string input = "shensu-nhi-key-check";
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int size = 0;
    REQUIRE(HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
        reinterpret_cast<const unsigned char*>(input.data()), input.size(), mac, &size));
    CHECK(checks.output == net::openssl::hex(std::span<const unsigned char>(mac, size)) + "\n");

    const auto startWith = [&](const fs::path& nhiKey) {
        auto args = centralAuthArgs(pkiDir(), c.registry);
        const auto file = [&](const std::string& name) { return (pkiDir() / name).string(); };
        std::vector<std::string> argv { (binDir() / "shensu-central").string(), "serve", "--listen",
            "127.0.0.1:0", "--cert", file("central-server.pem"), "--key",
            file("central-server.key"), "--client-ca", file("kiosk-ca.pem"), "--encryption-key",
            file("central-encryption.key"), "--encryption-cert", file("central-encryption.pem"),
            "--receipt-cert", file("central-receipt.pem"), "--receipt-key",
            file("central-receipt.key"), "--db", centralDb(c.dir / "central.db") };
        argv.insert(argv.end(), args.begin(), args.end());
        argv.insert(argv.end(), { "--nhi-key", nhiKey.string() });
        return run(argv, std::chrono::seconds(10));
    };
    // A second central given a key file of its own (another 32 random bytes).
    const fs::path other = c.dir / "other.nhi-key";
    std::string otherKey = key;
    for (auto& b : otherKey)
        b = static_cast<char>(b ^ 0x5a);
    writeFile(other, otherKey);
    fs::permissions(other, fs::perms::owner_read | fs::perms::owner_write);
    const auto mismatch = startWith(other);
    CHECK(mismatch.exitCode == 1);
    CHECK_THAT(mismatch.errors, Catch::Contains("is not the key this database"));
    // A central whose key file is missing does not make a new one.
    const fs::path missing = c.dir / "missing.nhi-key";
    const auto refused = startWith(missing);
    CHECK(refused.exitCode == 1);
    CHECK_THAT(refused.errors, Catch::Contains("refusing to create a new one"));
    CHECK_FALSE(fs::exists(missing));
    // The check value is unchanged, and the right key still starts.
    CHECK(queryCentralDb(c.dir / "central.db", "SELECT check_value FROM nhi_key_check").output
        == checks.output);
    c.start({});
    net::CentralAuth auth(kioskConfig(*c.central));
    CHECK(auth.nhiLogin(CARD_NUMBER, "Wrong1").triesLeft == 2);
}

TEST_CASE("health card: a password the kiosk can tell is malformed is refused as such without a "
          "call, and a password with quotes and backslashes goes through intact",
    "[auth]")
{
    AuthCentral c;
    registerNhiCard(c.registry, "000012340002", R"(Ab"\12)", "王引號", "測試區公所");
    c.central->stop();
    c.start({});
    net::CentralAuth auth(kioskConfig(*c.central));
    for (const char* typed : { "abc de", "abc", "abcdefghijklm", "密碼密碼12" }) {
        INFO(typed);
        const auto answer = auth.nhiLogin(CARD_NUMBER, typed);
        CHECK(answer.status == net::AuthStatus::REFUSED);
        CHECK(answer.refusal == net::NhiRefusal::MALFORMED_PASSWORD);
    }
    // None of them reached central, so none counted.
    CHECK(auth.nhiLogin(CARD_NUMBER, "Wrong1").triesLeft == 2);
    // A card number that is not 12 digits is the kiosk's fault, not a refusal of the person.
    CHECK(auth.nhiLogin("1234", NHI_PASSWORD).status == net::AuthStatus::UNAVAILABLE);

    const auto quoted = auth.nhiLogin("000012340002", R"(Ab"\12)");
    REQUIRE(quoted.ok());
    CHECK(quoted.name == "王引號");
    CHECK(nlohmann::json::parse(net::nhiLoginBody("000012340002", R"(Ab"\12)"))
        == nlohmann::json { { "cardNumber", "000012340002" }, { "password", R"(Ab"\12)" } });

    c.central->stop();
    const std::string log = readFile(c.central->logPath());
    // Exactly two health-card calls reached central: Wrong1 and the quoted one.
    std::size_t calls = 0;
    for (auto at = log.find("health-card login from"); at != std::string::npos;
         at = log.find("health-card login from", at + 1))
        ++calls;
    CHECK(calls == 2);
}

TEST_CASE("nhi-register writes the registry owner-only", "[auth]")
{
    TempDir dir;
    registerNhiCard(dir / "nhi.json", CARD_NUMBER, NHI_PASSWORD, "王健保", "測試區公所");
    CHECK((fs::status(dir / "nhi.json").permissions()
              & (fs::perms::group_all | fs::perms::others_all))
        == fs::perms::none);
    CHECK_FALSE(fs::exists(dir / "nhi.json.new"));
}

TEST_CASE("an identity assertion is refused before its issuedAt, and with a time that is not "
          "exactly YYYY-MM-DDTHH:MM:SSZ",
    "[auth]")
{
    const net::AssertionSigner signer(
        pkiDir() / "central-receipt.pem", pkiDir() / "central-receipt.key");
    const net::AssertionVerifier verifier(pkiDir() / "central-receipt.pem");
    const auto at = [](const char* issued, const char* expires) {
        return net::IdentityAssertion { "0b22e5c4-0000-4000-8000-000000000000", "nhi", CARD_NUMBER,
            "王健保", "測試區公所", "KIOSK-TEST-01", issued, expires };
    };
    const auto good = signer.sign(at("2026-11-23T10:00:00Z", "2026-11-23T10:30:00Z"));
    const auto t = [](int hour, int minute) {
        return std::chrono::sys_days(std::chrono::year(2026) / 11 / 23) + std::chrono::hours(hour)
            + std::chrono::minutes(minute);
    };
    CHECK_NOTHROW(verifier.verify(good, "KIOSK-TEST-01", t(10, 10)));
    CHECK_NOTHROW(verifier.verify(good, "KIOSK-TEST-01", t(9, 57))); // within the clock skew
    CHECK_THROWS_AS(verifier.verify(good, "KIOSK-TEST-01", t(9, 30)), net::AssertionError);
    for (const char* expires : { "2099-+1-01T00:00:00Z", " 2099-01-01T00:00:00Z",
             "2099-01-01T00:00:0 Z", "2099-13-01T00:00:00Z", "2099-02-30T00:00:00Z" }) {
        INFO(expires);
        CHECK_THROWS_AS(verifier.verify(signer.sign(at("2026-11-23T10:00:00Z", expires)),
                            "KIOSK-TEST-01", t(10, 10)),
            net::AssertionError);
    }
    // Expiring before it was issued.
    CHECK_THROWS_AS(verifier.verify(signer.sign(at("2026-11-23T10:30:00Z", "2026-11-23T10:00:00Z")),
                        "KIOSK-TEST-01", t(10, 10)),
        net::AssertionError);
}
