// Central's login checks: challenges, the citizen certificate (X509_STORE with the MOICA CA and its
// CRL), the card's signature, the personnel directory, health-card passwords (scrypt).
#include "auth.hpp"

#include "case_store.hpp" // utcTimestamp

#include <network/auth_client.hpp> // cardLoginMessage
#include <network/outbox.hpp> // newUuid

#include <algorithm>
#include <fstream>
#include <iostream>
#include <stdexcept>
#include <variant>

#include <openssl/crypto.h>
#include <openssl/kdf.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>

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

void ChallengeBook::dropExpired(
    std::deque<Entry>& entries, std::chrono::steady_clock::time_point now)
{
    while (!entries.empty() && entries.front().expires <= now) {
        owner_.erase(entries.front().challengeId);
        entries.pop_front();
    }
}

ChallengeBook::Issued ChallengeBook::issue(const std::string& kioskId)
{
    const auto now = std::chrono::steady_clock::now();
    Issued issued { network::newUuid(), ossl::base64(ossl::randomBytes(32)),
        utcTimestamp(std::chrono::system_clock::now() + lifetime_) };
    std::lock_guard lock(mutex_);
    auto& entries = byKiosk_[kioskId];
    dropExpired(entries, now);
    while (entries.size() >= MAX_PER_KIOSK) { // this kiosk's oldest goes, nobody else's
        owner_.erase(entries.front().challengeId);
        entries.pop_front();
    }
    entries.push_back(Entry { issued.challengeId, issued.nonce, now + lifetime_ });
    owner_.emplace(issued.challengeId, kioskId);
    return issued;
}

std::optional<std::string> ChallengeBook::redeem(
    const std::string& challengeId, const std::string& kioskId)
{
    const auto now = std::chrono::steady_clock::now();
    std::lock_guard lock(mutex_);
    const auto owner = owner_.find(challengeId);
    // Another kiosk's challenge is refused and left alone: naming it must not take it away.
    if (owner == owner_.end() || owner->second != kioskId) return std::nullopt;
    owner_.erase(owner);
    const auto kiosk = byKiosk_.find(kioskId);
    if (kiosk == byKiosk_.end()) return std::nullopt;
    auto& entries = kiosk->second;
    const auto it = std::find_if(entries.begin(), entries.end(),
        [&](const Entry& entry) { return entry.challengeId == challengeId; });
    if (it == entries.end()) return std::nullopt;
    Entry entry = std::move(*it);
    entries.erase(it);
    dropExpired(entries, now);
    if (entries.empty()) byKiosk_.erase(kiosk);
    if (entry.expires <= now) return std::nullopt;
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
        return ossl::subjectAttribute(certificate, NID_serialNumber);
    }
} // namespace

namespace
{
    // Identifies one version of the CRL file (a replacement by rename changes the inode, an
    // in-place rewrite the mtime or size); "" if it cannot be read.
    std::string fileStamp(const std::filesystem::path& file)
    {
        struct stat st {
        };
        if (::stat(file.c_str(), &st) != 0) return {};
        return std::to_string(st.st_dev) + ':' + std::to_string(st.st_ino) + ':'
            + std::to_string(st.st_mtim.tv_sec) + '.' + std::to_string(st.st_mtim.tv_nsec) + ':'
            + std::to_string(st.st_size);
    }

    using CrlPtr = std::unique_ptr<X509_CRL, ossl::Deleter<X509_CRL_free>>;

    // A store with only the anchor and this CRL, if the CRL is the anchor's, verifies under its
    // key and is current; else the reason (technician text).
    std::variant<std::shared_ptr<X509_STORE>, std::string> loadRevocation(
        X509* anchor, const std::filesystem::path& crlFile)
    {
        std::FILE* file = std::fopen(crlFile.c_str(), "r");
        if (!file) return "cannot read the MOICA CRL " + crlFile.string();
        CrlPtr crl(PEM_read_X509_CRL(file, nullptr, nullptr, nullptr));
        std::fclose(file);
        ossl::clearErrors();
        if (!crl) return "the MOICA CRL " + crlFile.string() + " is not a PEM CRL";
        if (X509_NAME_cmp(X509_CRL_get_issuer(crl.get()), X509_get_subject_name(anchor)) != 0)
            return "the CRL " + crlFile.string() + " is not issued by the MOICA CA";
        EVP_PKEY* key = X509_get0_pubkey(anchor);
        const bool signedByAnchor = key && X509_CRL_verify(crl.get(), key) == 1;
        ossl::clearErrors();
        if (!signedByAnchor)
            return "the CRL " + crlFile.string() + " is not signed by the MOICA CA's key";
        const ASN1_TIME* last = X509_CRL_get0_lastUpdate(crl.get());
        const ASN1_TIME* next = X509_CRL_get0_nextUpdate(crl.get());
        if (!last || X509_cmp_current_time(last) >= 0)
            return "the MOICA CRL " + crlFile.string() + " is not yet valid (lastUpdate)";
        if (!next || X509_cmp_current_time(next) <= 0)
            return "the MOICA CRL " + crlFile.string() + " has expired (nextUpdate passed)";

        std::shared_ptr<X509_STORE> store(X509_STORE_new(), X509_STORE_free);
        ossl::check(store.get(), "X509_STORE_new");
        ossl::check(X509_STORE_add_cert(store.get(), anchor) == 1, "X509_STORE_add_cert");
        ossl::check(X509_STORE_add_crl(store.get(), crl.get()) == 1, "X509_STORE_add_crl");
        // The CRL must be there and current for the leaf (not for the CA itself, the anchor).
        ossl::check(
            X509_STORE_set_flags(store.get(), X509_V_FLAG_CRL_CHECK) == 1, "X509_STORE_set_flags");
        return store;
    }

    // Verification errors that say central cannot judge the card right now, not that the card is
    // bad: the CRL (missing, stale, unverifiable) and anything about the CA above the card.
    bool centralSideError(int error, int depth)
    {
        if (depth > 0) return true;
        switch (error) {
        case X509_V_ERR_UNABLE_TO_GET_CRL:
        case X509_V_ERR_UNABLE_TO_DECRYPT_CRL_SIGNATURE:
        case X509_V_ERR_CRL_SIGNATURE_FAILURE:
        case X509_V_ERR_CRL_NOT_YET_VALID:
        case X509_V_ERR_CRL_HAS_EXPIRED:
        case X509_V_ERR_ERROR_IN_CRL_LAST_UPDATE_FIELD:
        case X509_V_ERR_ERROR_IN_CRL_NEXT_UPDATE_FIELD:
        case X509_V_ERR_UNABLE_TO_GET_CRL_ISSUER:
        case X509_V_ERR_KEYUSAGE_NO_CRL_SIGN:
        case X509_V_ERR_UNHANDLED_CRITICAL_CRL_EXTENSION:
        case X509_V_ERR_DIFFERENT_CRL_SCOPE:
        case X509_V_ERR_CRL_PATH_VALIDATION_ERROR:
        case X509_V_ERR_OUT_OF_MEM:
            return true;
        default:
            return false;
        }
    }
} // namespace

CardVerifier::CardVerifier(const std::filesystem::path& moicaCa,
    const std::filesystem::path& moicaCrl, const std::filesystem::path& personnel)
    : anchor_(ossl::readCertificate(moicaCa))
    , crlPath_(moicaCrl)
    , personnel_(personnel)
{
    crlStamp_ = fileStamp(crlPath_);
    auto loaded = loadRevocation(anchor_.get(), crlPath_);
    if (auto* why = std::get_if<std::string>(&loaded)) throw std::runtime_error(*why);
    store_ = std::get<std::shared_ptr<X509_STORE>>(std::move(loaded));
}

std::shared_ptr<X509_STORE> CardVerifier::currentStore() const
{
    std::lock_guard lock(mutex_);
    const std::string stamp = fileStamp(crlPath_);
    if (stamp != crlStamp_ && !stamp.empty()) {
        crlStamp_ = stamp; // tried once per version of the file
        auto loaded = loadRevocation(anchor_.get(), crlPath_);
        if (auto* store = std::get_if<std::shared_ptr<X509_STORE>>(&loaded)) {
            store_ = std::move(*store);
            std::cerr << "shensu-central: MOICA CRL reloaded\n";
        } else {
            std::cerr << "shensu-central: new MOICA CRL not taken, keeping the previous one: "
                      << std::get<std::string>(loaded) << '\n';
        }
    }
    return store_;
}

CardVerifier::Checked CardVerifier::checkCertificate(X509* certificate) const
{
    const auto store = currentStore();
    using StoreCtxPtr = std::unique_ptr<X509_STORE_CTX, ossl::Deleter<X509_STORE_CTX_free>>;
    StoreCtxPtr ctx(X509_STORE_CTX_new());
    ossl::check(ctx.get(), "X509_STORE_CTX_new");
    ossl::check(X509_STORE_CTX_init(ctx.get(), store.get(), certificate, nullptr) == 1,
        "X509_STORE_CTX_init");
    if (X509_verify_cert(ctx.get()) != 1) {
        const int error = X509_STORE_CTX_get_error(ctx.get());
        const int depth = X509_STORE_CTX_get_error_depth(ctx.get());
        ossl::clearErrors();
        if (centralSideError(error, depth))
            return { std::nullopt,
                std::string("MOICA CA or CRL: ") + X509_verify_cert_error_string(error) + " (depth "
                    + std::to_string(depth) + ")" };
        switch (error) {
        case X509_V_ERR_CERT_HAS_EXPIRED:
        case X509_V_ERR_CERT_NOT_YET_VALID:
            return { CardRefusal::CERTIFICATE_EXPIRED, {} };
        case X509_V_ERR_CERT_REVOKED:
            return { CardRefusal::CERTIFICATE_REVOKED, {} };
        default: // another CA, bad signature by the CA, malformed...
            return { CardRefusal::CERTIFICATE_INVALID, {} };
        }
    }
    // A login signature needs a signing certificate for an end entity (MOICA cards also carry an
    // encryption certificate, keyEncipherment only), with an RSA key of at least 2048 bits.
    const std::uint32_t flags = X509_get_extension_flags(certificate);
    if (X509_check_ca(certificate) != 0 || (flags & EXFLAG_KUSAGE) == 0
        || (X509_get_key_usage(certificate) & KU_DIGITAL_SIGNATURE) == 0)
        return { CardRefusal::CERTIFICATE_INVALID, {} };
    const EVP_PKEY* key = X509_get0_pubkey(certificate);
    if (!key || EVP_PKEY_get_base_id(key) != EVP_PKEY_RSA || EVP_PKEY_get_bits(key) < 2048)
        return { CardRefusal::CERTIFICATE_INVALID, {} };
    return {};
}

CardResult CardVerifier::verify(std::span<const unsigned char> certificateDer,
    std::span<const unsigned char> signature, std::string_view message) const
{
    const unsigned char* p = certificateDer.data();
    ossl::X509Ptr certificate(d2i_X509(nullptr, &p, static_cast<long>(certificateDer.size())));
    if (!certificate || p != certificateDer.data() + certificateDer.size()) {
        ossl::clearErrors();
        return { CardRefusal::CERTIFICATE_INVALID, {}, {} };
    }
    if (auto checked = checkCertificate(certificate.get());
        checked.refusal || !checked.unavailable.empty())
        return { checked.refusal, {}, std::move(checked.unavailable) };

    // RSA PKCS#1 v1.5 with SHA-256 over the message bytes (CKM_SHA256_RSA_PKCS on the card).
    if (!ossl::verifySha256(X509_get0_pubkey(certificate.get()), ossl::bytesOf(message), signature))
        return { CardRefusal::BAD_SIGNATURE, {}, {} };
    return directory(certificate.get());
}

CardResult CardVerifier::identify(std::span<const unsigned char> certificateDer) const
{
    const unsigned char* p = certificateDer.data();
    ossl::X509Ptr certificate(d2i_X509(nullptr, &p, static_cast<long>(certificateDer.size())));
    if (!certificate || p != certificateDer.data() + certificateDer.size()) {
        ossl::clearErrors();
        return { CardRefusal::CERTIFICATE_INVALID, {}, {} };
    }
    if (auto checked = checkCertificate(certificate.get());
        checked.refusal || !checked.unavailable.empty())
        return { checked.refusal, {}, std::move(checked.unavailable) };
    return directory(certificate.get());
}

CardResult CardVerifier::directory(const X509* certificate) const
{
    // The directory, as eCPA checks it (seed 003): the account this certificate is bound to must
    // exist, be active, and MOICA must name that account's ID as the certificate's holder.
    const std::string serial = subjectSerial(certificate);
    const auto* person = serial.empty() ? nullptr : personnel_.boundTo(serial);
    if (!person) return { CardRefusal::NOT_IN_PERSONNEL, {}, {} };
    if (person->departed) return { CardRefusal::DEPARTED, {}, {} };
    if (personnel_.holderOf(serial) != person->id) return { CardRefusal::OWNER_MISMATCH, {}, {} };
    return { std::nullopt, person->identity, {} };
}

// --- health-card registration passwords ----------------------------------------------------------

namespace
{
    constexpr std::uint64_t SCRYPT_N = 1 << 14, SCRYPT_R = 8, SCRYPT_P = 1;
    constexpr std::uint64_t MAX_SCRYPT_MEMORY = 64ULL << 20;
    constexpr std::size_t HASH_BYTES = 32;

    // An unsigned integer member of a registry entry (N, r or p).
    std::uint64_t parameter(const nlohmann::json& entry, const char* key)
    {
        if (!entry.contains(key) || !entry[key].is_number_unsigned())
            throw std::runtime_error(std::string("NHI registry entry: \"") + key
                + "\" missing or not an unsigned integer");
        return entry[key].get<std::uint64_t>();
    }

    network::Bytes scrypt(std::string_view password, const network::Bytes& salt, std::uint64_t n,
        std::uint64_t r, std::uint64_t p)
    {
        network::Bytes out(HASH_BYTES);
        ossl::check(EVP_PBE_scrypt(password.data(), password.size(), salt.data(), salt.size(), n, r,
                        p, MAX_SCRYPT_MEMORY, out.data(), out.size())
                == 1,
            "EVP_PBE_scrypt");
        return out;
    }
} // namespace

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
        const auto n = parameter(entry, "N"), r = parameter(entry, "r"), p = parameter(entry, "p");
        if (!salt || !hash || hash->size() != HASH_BYTES)
            throw std::runtime_error("NHI registry: malformed entry (salt or hash)");
        // What EVP_PBE_scrypt will accept within MAX_SCRYPT_MEMORY, checked here so that a bad
        // entry stops central at start instead of failing every login (each counted).
        if (n < 2 || (n & (n - 1)) != 0 || n > (1ULL << 24) || r == 0 || r > 1024 || p == 0
            || p > 1024 || (16 * r < 64 && n >= (1ULL << (16 * r)))
            || 128 * r * (n + 2 + p) > MAX_SCRYPT_MEMORY)
            throw std::runtime_error("NHI registry: unusable scrypt parameters N, r, p");
        cards_.emplace(number,
            NhiEntry { { text(entry, "name", "NHI registry entry"),
                           text(entry, "agency", "NHI registry entry") },
                std::move(*salt), std::move(*hash), n, r, p });
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

AuthService::AuthService(const AuthOptions& options, const std::string& db)
    : challenges_(options.challengeLifetime)
    , verifier_(options.moicaCa, options.moicaCrl, options.personnel)
    , registry_(options.nhiRegistry)
    , counter_(openNhiCounter(db,
          options.nhiKey.empty() && !isPostgresUri(db) ? std::filesystem::path(db + ".nhi-key")
                                                       : options.nhiKey))
    , maxFailures_(options.nhiMaxFailures)
    , assertionLifetime_(options.assertionLifetime)
{
    if (!options.assertionCert.empty())
        assertions_.emplace(options.assertionCert, options.assertionKey);
}

CardResult AuthService::card(const std::string& kioskId, const std::string& challengeId,
    std::span<const unsigned char> certificateDer, std::span<const unsigned char> signature)
{
    const auto nonce = challenges_.redeem(challengeId, kioskId);
    if (!nonce) return { CardRefusal::CHALLENGE_INVALID, {}, {} };
    return verifier_.verify(
        certificateDer, signature, network::cardLoginMessage(challengeId, *nonce));
}

NhiResult AuthService::nhi(
    const std::string& kioskId, const std::string& cardNumber, std::string_view password)
{
    const NhiEntry* entry = registry_.find(cardNumber);
    if (!entry) return { NhiResult::Kind::NOT_REGISTERED, 0, {}, nullptr };
    const auto attempt = counter_->begin(cardNumber, maxFailures_);
    if (!attempt) return { NhiResult::Kind::LOCKED, 0, {}, nullptr };
    bool matches = false;
    try {
        matches = NhiRegistry::matches(*entry, password);
    } catch (...) {
        // The password was never checked (scrypt failed): this attempt does not count.
        counter_->cancel(cardNumber);
        throw;
    }
    if (matches) {
        counter_->succeeded(cardNumber);
        NhiResult ok { NhiResult::Kind::OK, 0, entry->identity, nullptr };
        if (assertions_) {
            const auto now = std::chrono::system_clock::now();
            ok.assertion = assertions_->sign({ network::newUuid(), "nhi", cardNumber,
                entry->identity.name, entry->identity.agency, kioskId, utcTimestamp(now),
                utcTimestamp(now + assertionLifetime_) });
        }
        return ok;
    }
    if (*attempt >= maxFailures_) return { NhiResult::Kind::LOCKED, 0, {}, nullptr };
    return { NhiResult::Kind::WRONG_PASSWORD, maxFailures_ - *attempt, {}, nullptr };
}

NhiStatus AuthService::nhiStatus(const std::string& cardNumber)
{
    if (!registry_.find(cardNumber)) return { NhiStatus::Kind::NOT_REGISTERED, 0 };
    const int failures = counter_->failures(cardNumber);
    if (failures >= maxFailures_) return { NhiStatus::Kind::LOCKED, 0 };
    return { NhiStatus::Kind::OK, maxFailures_ - failures };
}

} // namespace shensu::central
