// Central's login service as a kiosk meets it: CentralAuth over real mutual TLS against a running
// shensu-central with the test MOICA CA, its CRL and the synthetic personnel directory. Each
// refusal comes from its real cause (a certificate that is expired, revoked, bound to nobody...).
#include "central.hpp"
#include "pki.hpp"
#include "process.hpp"

#include <network/auth_client.hpp>
#include <network/openssl.hpp>

#include <catch2/catch.hpp>
#include <thread>

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
    net::ForwarderConfig config;
    config.centralUrl = central.url();
    config.centralResolve = central.resolve();
    config.centralCaCert = pki / "central-ca.pem";
    config.clientCert = pki / (device + ".pem");
    config.clientKey = pki / (device + ".key");
    return config;
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

    // Another kiosk's.
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
    "[auth]")
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

TEST_CASE("health card: a success resets the count, and the count outlives a restart", "[auth]")
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

TEST_CASE("an unreachable or impostor central is UNAVAILABLE, never a refusal", "[auth]")
{
    const int port = unusedPort();
    net::ForwarderConfig config;
    config.centralUrl = "https://central.shensu.test:" + std::to_string(port);
    config.centralResolve = "central.shensu.test:" + std::to_string(port) + ":127.0.0.1";
    config.centralCaCert = pkiDir() / "central-ca.pem";
    config.clientCert = pkiDir() / "kiosk-device.pem";
    config.clientKey = pkiDir() / "kiosk-device.key";
    net::CentralAuth auth(config);
    CHECK_THROWS_AS(auth.challenge(), net::AuthUnavailable);
    const auto card = auth.cardLogin({ "id", "nonce", "" }, "der", "sig");
    CHECK(card.status == net::AuthStatus::UNAVAILABLE);
    CHECK_FALSE(card.unavailable.serverRefused);
    const auto nhi = auth.nhiLogin(CARD_NUMBER, NHI_PASSWORD);
    CHECK(nhi.status == net::AuthStatus::UNAVAILABLE);

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
}
