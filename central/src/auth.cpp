// Central's login checks: challenges, the citizen certificate (X509_STORE with the MOICA CA and its
// CRL), the card's signature, the personnel directory, health-card passwords (scrypt).
#include "auth.hpp"

#include "case_store.hpp" // utcTimestamp

#include <network/auth_client.hpp> // cardLoginMessage
#include <network/outbox.hpp> // newUuid

#include <fstream>
#include <stdexcept>

#include <openssl/crypto.h>
#include <openssl/kdf.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

namespace shensu::central
{

namespace ossl = network::openssl;

std::string_view refusalCode(CardRefusal refusal)
{
    switch (refusal) {
    case CardRefusal::CHALLENGE_INVALID:
        return "challenge_invalid";
    case CardRefusal::CERTIFICATE_INVALID:
        return "certificate_invalid";
    case CardRefusal::CERTIFICATE_EXPIRED:
        return "certificate_expired";
    case CardRefusal::CERTIFICATE_REVOKED:
        return "certificate_revoked";
    case CardRefusal::BAD_SIGNATURE:
        return "bad_signature";
    case CardRefusal::NOT_IN_PERSONNEL:
        return "not_in_personnel";
    case CardRefusal::DEPARTED:
        return "departed";
    case CardRefusal::OWNER_MISMATCH:
        return "owner_mismatch";
    }
    return "certificate_invalid";
}

// --- challenges ----------------------------------------------------------------------------------

ChallengeBook::Issued ChallengeBook::issue(const std::string& kioskId)
{
    const auto now = std::chrono::steady_clock::now();
    Issued issued { network::newUuid(), ossl::base64(ossl::randomBytes(32)),
        utcTimestamp(std::chrono::system_clock::now() + lifetime_) };
    std::lock_guard lock(mutex_);
    std::erase_if(entries_, [&](const auto& entry) { return entry.second.expires <= now; });
    // A bound on memory whatever kiosks do: the oldest outstanding challenges go first.
    constexpr std::size_t MAX_OUTSTANDING = 100000;
    while (entries_.size() >= MAX_OUTSTANDING) {
        auto oldest = std::min_element(entries_.begin(), entries_.end(),
            [](const auto& a, const auto& b) { return a.second.expires < b.second.expires; });
        entries_.erase(oldest);
    }
    entries_.emplace(issued.challengeId, Entry { kioskId, issued.nonce, now + lifetime_ });
    return issued;
}

std::optional<std::string> ChallengeBook::redeem(
    const std::string& challengeId, const std::string& kioskId)
{
    const auto now = std::chrono::steady_clock::now();
    std::lock_guard lock(mutex_);
    const auto it = entries_.find(challengeId);
    if (it == entries_.end()) return std::nullopt;
    Entry entry = std::move(it->second);
    entries_.erase(it);
    if (entry.kioskId != kioskId || entry.expires <= now) return std::nullopt;
    return entry.nonce;
}

// --- personnel directory -------------------------------------------------------------------------

namespace
{
    nlohmann::json readJson(const std::filesystem::path& file, const char* what)
    {
        std::ifstream in(file);
        if (!in) throw std::runtime_error(std::string("cannot read the ") + what + " file");
        auto json = nlohmann::json::parse(in, nullptr, false);
        if (json.is_discarded() || !json.is_object())
            throw std::runtime_error(std::string("the ") + what + " file is not a JSON object");
        return json;
    }

    std::string text(const nlohmann::json& object, const char* key, const char* what)
    {
        if (!object.is_object() || !object.contains(key) || !object[key].is_string())
            throw std::runtime_error(std::string(what) + ": \"" + key + "\" missing");
        return object[key].get<std::string>();
    }
} // namespace

PersonnelDirectory::PersonnelDirectory(const std::filesystem::path& file)
{
    const auto json = readJson(file, "personnel");
    if (!json.contains("people") || !json["people"].is_array())
        throw std::runtime_error("personnel: \"people\" must be an array");
    for (const auto& entry : json["people"]) {
        Person person { text(entry, "id", "personnel entry"),
            { text(entry, "name", "personnel entry"), text(entry, "agency", "personnel entry") },
            false };
        const std::string status = text(entry, "status", "personnel entry");
        if (status != "active" && status != "departed")
            throw std::runtime_error("personnel: status must be active or departed");
        person.departed = status == "departed";
        const std::string serial = text(entry, "certificateSerial", "personnel entry");
        if (serial.empty()) continue; // no certificate bound to this account
        if (!byCertificate_.emplace(serial, std::move(person)).second)
            throw std::runtime_error("personnel: one certificate bound to two entries");
    }
    if (json.contains("certificateHolders")) {
        const auto& holders = json["certificateHolders"];
        if (!holders.is_object())
            throw std::runtime_error("personnel: \"certificateHolders\" must be an object");
        for (const auto& [serial, id] : holders.items()) {
            if (!id.is_string())
                throw std::runtime_error("personnel: certificate holder IDs are strings");
            holders_.emplace(serial, id.get<std::string>());
        }
    }
}

const PersonnelDirectory::Person* PersonnelDirectory::boundTo(
    const std::string& certificateSerial) const
{
    const auto it = byCertificate_.find(certificateSerial);
    return it == byCertificate_.end() ? nullptr : &it->second;
}

std::string PersonnelDirectory::holderOf(const std::string& certificateSerial) const
{
    const auto it = holders_.find(certificateSerial);
    return it == holders_.end() ? std::string() : it->second;
}

// --- the citizen certificate and signature -------------------------------------------------------

namespace
{
    // The subject's serialNumber attribute (MOICA: the holder's certificate serial), or "".
    std::string subjectSerial(const X509* certificate)
    {
        const X509_NAME* name = X509_get_subject_name(certificate);
        const int index = X509_NAME_get_index_by_NID(name, NID_serialNumber, -1);
        if (index < 0) return {};
        const ASN1_STRING* data = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, index));
        unsigned char* utf8 = nullptr;
        const int len = ASN1_STRING_to_UTF8(&utf8, data);
        if (len < 0) return {};
        std::string out(reinterpret_cast<char*>(utf8), static_cast<std::size_t>(len));
        OPENSSL_free(utf8);
        return out;
    }
} // namespace

CardVerifier::CardVerifier(const std::filesystem::path& moicaCa,
    const std::filesystem::path& moicaCrl, const std::filesystem::path& personnel)
    : store_(ossl::readTrustStore(moicaCa))
    , personnel_(personnel)
{
    std::FILE* file = std::fopen(moicaCrl.c_str(), "r");
    if (!file) throw std::runtime_error("cannot read the MOICA CRL " + moicaCrl.string());
    X509_CRL* crl = PEM_read_X509_CRL(file, nullptr, nullptr, nullptr);
    std::fclose(file);
    ossl::check(crl, "PEM_read_X509_CRL (MOICA CRL)");
    const int added = X509_STORE_add_crl(store_.get(), crl);
    X509_CRL_free(crl);
    ossl::check(added == 1, "X509_STORE_add_crl");
    // The CRL must be there and current for the leaf (not for the CA itself, which is the anchor).
    ossl::check(
        X509_STORE_set_flags(store_.get(), X509_V_FLAG_CRL_CHECK) == 1, "X509_STORE_set_flags");
}

std::optional<CardRefusal> CardVerifier::checkCertificate(X509* certificate) const
{
    using StoreCtxPtr = std::unique_ptr<X509_STORE_CTX, ossl::Deleter<X509_STORE_CTX_free>>;
    StoreCtxPtr ctx(X509_STORE_CTX_new());
    ossl::check(ctx.get(), "X509_STORE_CTX_new");
    ossl::check(X509_STORE_CTX_init(ctx.get(), store_.get(), certificate, nullptr) == 1,
        "X509_STORE_CTX_init");
    if (X509_verify_cert(ctx.get()) != 1) {
        const int error = X509_STORE_CTX_get_error(ctx.get());
        ossl::clearErrors();
        switch (error) {
        case X509_V_ERR_CERT_HAS_EXPIRED:
        case X509_V_ERR_CERT_NOT_YET_VALID:
            return CardRefusal::CERTIFICATE_EXPIRED;
        case X509_V_ERR_CERT_REVOKED:
            return CardRefusal::CERTIFICATE_REVOKED;
        default: // untrusted chain, bad CA signature, missing or stale CRL...
            return CardRefusal::CERTIFICATE_INVALID;
        }
    }
    // A login signature needs a signing certificate for an end entity (MOICA cards also carry an
    // encryption certificate, keyEncipherment only), with an RSA key of at least 2048 bits.
    const std::uint32_t flags = X509_get_extension_flags(certificate);
    if (X509_check_ca(certificate) != 0 || (flags & EXFLAG_KUSAGE) == 0
        || (X509_get_key_usage(certificate) & KU_DIGITAL_SIGNATURE) == 0)
        return CardRefusal::CERTIFICATE_INVALID;
    const EVP_PKEY* key = X509_get0_pubkey(certificate);
    if (!key || EVP_PKEY_get_base_id(key) != EVP_PKEY_RSA || EVP_PKEY_get_bits(key) < 2048)
        return CardRefusal::CERTIFICATE_INVALID;
    return std::nullopt;
}

CardResult CardVerifier::verify(std::span<const unsigned char> certificateDer,
    std::span<const unsigned char> signature, std::string_view message) const
{
    const unsigned char* p = certificateDer.data();
    ossl::X509Ptr certificate(d2i_X509(nullptr, &p, static_cast<long>(certificateDer.size())));
    if (!certificate || p != certificateDer.data() + certificateDer.size()) {
        ossl::clearErrors();
        return { CardRefusal::CERTIFICATE_INVALID, {} };
    }
    if (auto refused = checkCertificate(certificate.get())) return { refused, {} };

    // RSA PKCS#1 v1.5 with SHA-256 over the message bytes (CKM_SHA256_RSA_PKCS on the card).
    ossl::MdCtxPtr md(EVP_MD_CTX_new());
    ossl::check(md.get(), "EVP_MD_CTX_new");
    ossl::check(EVP_DigestVerifyInit(
                    md.get(), nullptr, EVP_sha256(), nullptr, X509_get0_pubkey(certificate.get()))
            == 1,
        "EVP_DigestVerifyInit");
    const int verified = EVP_DigestVerify(md.get(), signature.data(), signature.size(),
        reinterpret_cast<const unsigned char*>(message.data()), message.size());
    ossl::clearErrors();
    if (verified != 1) return { CardRefusal::BAD_SIGNATURE, {} };

    // The directory, as eCPA checks it (seed 003): the account this certificate is bound to must
    // exist, be active, and MOICA must name that account's ID as the certificate's holder.
    const std::string serial = subjectSerial(certificate.get());
    const auto* person = serial.empty() ? nullptr : personnel_.boundTo(serial);
    if (!person) return { CardRefusal::NOT_IN_PERSONNEL, {} };
    if (person->departed) return { CardRefusal::DEPARTED, {} };
    if (personnel_.holderOf(serial) != person->id) return { CardRefusal::OWNER_MISMATCH, {} };
    return { std::nullopt, person->identity };
}

// --- health-card registration passwords ----------------------------------------------------------

namespace
{
    constexpr std::uint64_t SCRYPT_N = 1 << 14, SCRYPT_R = 8, SCRYPT_P = 1;
    constexpr std::size_t HASH_BYTES = 32;

    network::Bytes scrypt(std::string_view password, const network::Bytes& salt, std::uint64_t n,
        std::uint64_t r, std::uint64_t p)
    {
        network::Bytes out(HASH_BYTES);
        ossl::check(EVP_PBE_scrypt(password.data(), password.size(), salt.data(), salt.size(), n, r,
                        p, 64ULL << 20, out.data(), out.size())
                == 1,
            "EVP_PBE_scrypt");
        return out;
    }
} // namespace

bool validCardNumber(std::string_view cardNumber)
{
    return cardNumber.size() == 12 && std::all_of(cardNumber.begin(), cardNumber.end(), [](char c) {
        return c >= '0' && c <= '9';
    });
}

bool validNhiPassword(std::string_view password)
{
    return password.size() >= 6 && password.size() <= 12
        && std::all_of(
            password.begin(), password.end(), [](char c) { return c > ' ' && c < 0x7F; });
}

NhiRegistry::NhiRegistry(const std::filesystem::path& file)
{
    if (file.empty()) return; // no registry: every card is not_registered
    const auto json = readJson(file, "NHI registry");
    if (!json.contains("cards") || !json["cards"].is_object())
        throw std::runtime_error("NHI registry: \"cards\" must be an object");
    for (const auto& [number, entry] : json["cards"].items()) {
        if (!validCardNumber(number))
            throw std::runtime_error("NHI registry: card numbers are 12 digits");
        if (text(entry, "kdf", "NHI registry entry") != "scrypt")
            throw std::runtime_error("NHI registry: only scrypt entries are known");
        auto salt = ossl::unbase64(text(entry, "salt", "NHI registry entry"));
        auto hash = ossl::unbase64(text(entry, "hash", "NHI registry entry"));
        if (!salt || !hash || hash->size() != HASH_BYTES || !entry["N"].is_number_unsigned()
            || !entry["r"].is_number_unsigned() || !entry["p"].is_number_unsigned())
            throw std::runtime_error("NHI registry: malformed entry");
        cards_.emplace(number,
            NhiEntry { { text(entry, "name", "NHI registry entry"),
                           text(entry, "agency", "NHI registry entry") },
                std::move(*salt), std::move(*hash), entry["N"].get<std::uint64_t>(),
                entry["r"].get<std::uint64_t>(), entry["p"].get<std::uint64_t>() });
    }
}

const NhiEntry* NhiRegistry::find(const std::string& cardNumber) const
{
    const auto it = cards_.find(cardNumber);
    return it == cards_.end() ? nullptr : &it->second;
}

bool NhiRegistry::matches(const NhiEntry& entry, std::string_view password)
{
    const auto hash = scrypt(password, entry.salt, entry.n, entry.r, entry.p);
    return CRYPTO_memcmp(hash.data(), entry.hash.data(), HASH_BYTES) == 0;
}

nlohmann::json NhiRegistry::makeEntry(
    std::string_view password, const std::string& name, const std::string& agency)
{
    const auto salt = ossl::randomBytes(16);
    return { { "name", name }, { "agency", agency }, { "kdf", "scrypt" }, { "N", SCRYPT_N },
        { "r", SCRYPT_R }, { "p", SCRYPT_P }, { "salt", ossl::base64(salt) },
        { "hash", ossl::base64(scrypt(password, salt, SCRYPT_N, SCRYPT_R, SCRYPT_P)) } };
}

// --- the service ---------------------------------------------------------------------------------

AuthService::AuthService(const AuthOptions& options, const std::filesystem::path& db)
    : challenges_(options.challengeLifetime)
    , verifier_(options.moicaCa, options.moicaCrl, options.personnel)
    , registry_(options.nhiRegistry)
    , counter_(db)
    , maxFailures_(options.nhiMaxFailures)
{ }

CardResult AuthService::card(const std::string& kioskId, const std::string& challengeId,
    std::span<const unsigned char> certificateDer, std::span<const unsigned char> signature)
{
    const auto nonce = challenges_.redeem(challengeId, kioskId);
    if (!nonce) return { CardRefusal::CHALLENGE_INVALID, {} };
    return verifier_.verify(
        certificateDer, signature, network::cardLoginMessage(challengeId, *nonce));
}

NhiResult AuthService::nhi(const std::string& cardNumber, std::string_view password)
{
    const NhiEntry* entry = registry_.find(cardNumber);
    if (!entry) return { NhiResult::Kind::NOT_REGISTERED, 0, {} };
    const auto attempt = counter_.begin(cardNumber, maxFailures_);
    if (!attempt) return { NhiResult::Kind::LOCKED, 0, {} };
    if (NhiRegistry::matches(*entry, password)) {
        counter_.succeeded(cardNumber);
        return { NhiResult::Kind::OK, 0, entry->identity };
    }
    if (*attempt >= maxFailures_) return { NhiResult::Kind::LOCKED, 0, {} };
    return { NhiResult::Kind::WRONG_PASSWORD, maxFailures_ - *attempt, {} };
}

} // namespace shensu::central
