// The kiosk's own PKCS#11 layer (cardio/pkcs11.hpp) against the simulated citizen card, through
// stock OpenSC and a real pcscd: the token in the reader, tries left from its flags, login right,
// wrong and locked, and a signature that verifies with the certificate read from the card.
#include "cardio/errors.hpp"
#include "cardio/pcsc.hpp"
#include "cardio/pin_pad.hpp"
#include "cardio/pkcs11.hpp"
#include "process.hpp"
#include "virtual_reader.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <openssl/evp.h>
#include <openssl/x509.h>

using namespace shensu::cardio;
using namespace shensu::cardio::test;

namespace
{

std::filesystem::path module()
{
    const auto path = findOpenscModule();
    REQUIRE(!path.empty());
    return path;
}

void fill(Pin& pin, std::string_view digits)
{
    for (const char c : digits)
        REQUIRE(pin.push(c));
}

// Logs in with `digits` on a fresh module, as the kiosk does per card operation; the error code,
// or nothing on success.
std::optional<CardErrorCode> tryLogin(std::string_view digits)
{
    Pkcs11Module m(module());
    TokenSession session(m, m.slotForReader(SLOT0));
    Pin pin;
    fill(pin, digits);
    try {
        session.login(pin);
        CHECK(pin.empty());
        return std::nullopt;
    } catch (const CardError& e) {
        CHECK(pin.empty()); // wiped whatever the card answered
        return e.code();
    }
}

TokenPinFlags flags()
{
    Pkcs11Module m(module());
    return m.tokenInfo(m.slotForReader(SLOT0)).pin;
}

// VERIFYs that spent a try ("spending") or carried a PIN at all ("withPin").
int verifiesWhere(const char* field)
{
    int n = 0;
    for (const auto& line : apduLog()) {
        const auto entry = nlohmann::json::parse(line);
        if (entry.value("ins", "") == "VERIFY" && entry.at(field).get<bool>()) ++n;
    }
    return n;
}
int spendingVerifies()
{
    return verifiesWhere("spending");
}
int pinVerifies()
{
    return verifiesWhere("withPin");
}

bool verifiesWith(const Bytes& certificateDer, std::string_view message, const Bytes& signature)
{
    const unsigned char* p = certificateDer.data();
    X509* cert = d2i_X509(nullptr, &p, static_cast<long>(certificateDer.size()));
    REQUIRE(cert != nullptr);
    EVP_PKEY* key = X509_get_pubkey(cert);
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    const bool ok = EVP_DigestVerifyInit(ctx, nullptr, EVP_sha256(), nullptr, key) == 1
        && EVP_DigestVerify(ctx, signature.data(), signature.size(),
               reinterpret_cast<const unsigned char*>(message.data()), message.size())
            == 1;
    EVP_MD_CTX_free(ctx);
    EVP_PKEY_free(key);
    X509_free(cert);
    return ok;
}

} // namespace

TEST_CASE("the token in the virtual reader is found by the reader's name and reports full tries",
    "[pkcs11-login]")
{
    Pkcs11Module m(module());
    const auto slot = m.slotForReader(SLOT0);
    const TokenInfo info = m.tokenInfo(slot);
    CHECK(info.label == "林測試");
    CHECK(!info.serial.empty());
    CHECK(!info.pin.finalTry);
    CHECK(!info.pin.locked);
    CHECK(pinTries(info.pin, 0).left == 3);
    // A module that names its slots its own way (HiCOS): the only token is the one.
    CHECK(m.slotForReader("Some Other Reader 01 00") == slot);
    CHECK(spendingVerifies() == 0); // reading the tries spends none
}

TEST_CASE("the right PIN logs in, and the card's signature over a message verifies with the "
          "certificate read from the card, and not over another message",
    "[pkcs11-login]")
{
    Pkcs11Module m(module());
    TokenSession session(m, m.slotForReader(SLOT0));
    Pin pin;
    fill(pin, "123456");
    session.login(pin);
    CHECK(pin.empty());
    const std::string message = "shensu-card-login-v1:3f1c:bm9uY2U=";
    const Bytes certificate = session.signingCertificate();
    const Bytes signature = session.sign(message);
    CHECK(signature.size() == 256);
    CHECK(verifiesWith(certificate, message, signature));
    CHECK(!verifiesWith(certificate, "shensu-card-login-v1:3f1c:b3RoZXI=", signature));
    session.logout();
    CHECK(!session.loggedIn());
    CHECK(spendingVerifies() == 1);
}

TEST_CASE("wrong PINs are PIN_INCORRECT, the second shows the final try, the third locks the "
          "card and the right PIN is then PIN_LOCKED, the card counted exactly three tries",
    "[pkcs11-lockout]")
{
    CHECK(tryLogin("654321") == CardErrorCode::PIN_INCORRECT);
    CHECK(!flags().finalTry); // OpenSC never sets COUNT_LOW: the kiosk's own count says 2
    CHECK(pinTries(flags(), 1).left == 2);
    CHECK(tryLogin("654321") == CardErrorCode::PIN_INCORRECT);
    CHECK(flags().finalTry);
    CHECK(pinTries(flags(), 2).left == 1);
    // The blocking try: 6983 from the card is CKR_PIN_LOCKED at once (63C0 would be INCORRECT).
    const auto third = tryLogin("654321");
    CHECK((third == CardErrorCode::PIN_LOCKED || third == CardErrorCode::PIN_INCORRECT));
    CHECK(flags().locked);
    CHECK(pinTries(flags(), 3).blocked);
    CHECK(spendingVerifies() == 3);
    CHECK(tryLogin("123456") == CardErrorCode::PIN_LOCKED);
    CHECK(spendingVerifies() == 3); // a blocked card spends nothing more
}

TEST_CASE("a card with one try left reports the final try before any attempt", "[pkcs11-1try]")
{
    const auto f = flags();
    CHECK(f.finalTry);
    CHECK(!f.locked);
    CHECK(pinTries(f, 0).left == 1);
    CHECK(spendingVerifies() == 0);
}

TEST_CASE("a blocked card reports locked before any attempt", "[pkcs11-blocked]")
{
    const auto f = flags();
    CHECK(f.locked);
    CHECK(pinTries(f, 0).blocked);
    CHECK(pinVerifies() == 0);
}

TEST_CASE("a missing module is MODULE_UNAVAILABLE, not a crash", "[pkcs11-login]")
{
    try {
        Pkcs11Module m("/nonexistent/libHicos_p11.so");
        FAIL("loaded a module that does not exist");
    } catch (const CardError& e) {
        CHECK(e.code() == CardErrorCode::MODULE_UNAVAILABLE);
    }
}

TEST_CASE("the virtual reader offers no PIN pad: keypad verification is tested with a fake",
    "[pkcs11-login]")
{
    Context context;
    CardConnection card(context, SLOT0);
    CHECK(!readPinPadFeatures(card).verifyPinDirect);
    // Its token does not claim a protected authentication path either: the PIN comes from the
    // kiosk's touch pad.
    Pkcs11Module m(module());
    CHECK(!m.tokenInfo(m.slotForReader(SLOT0)).protectedAuthenticationPath);
}
