// PKCS#11 wrapped once: the module's function list behind RAII, one choke point (check) that turns
// every CKR_ into a CardError, the token in a reader, PIN login with a wiped Pin, certificate,
// sign.
#include "cardio/pkcs11.hpp"

#include "cardio/errors.hpp"
#include "pkcs11_codes.hpp"

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <sstream>

#include <dlfcn.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <openssl/x509.h>
#include <p11-kit/pkcs11.h>
#include <unistd.h>

namespace shensu::cardio
{

namespace
{

    struct CkrRow {
        CK_RV rv;
        CardErrorCode code;
        const char* name;
    };

    // What each return code means for the person at the kiosk (data, as STYLE.md asks).
    constexpr CkrRow CKR_TABLE[] = {
        { CKR_PIN_INCORRECT, CardErrorCode::PIN_INCORRECT, "CKR_PIN_INCORRECT" },
        { CKR_PIN_INVALID, CardErrorCode::PIN_INVALID, "CKR_PIN_INVALID" },
        { CKR_PIN_LOCKED, CardErrorCode::PIN_LOCKED, "CKR_PIN_LOCKED" },
        { CKR_PIN_EXPIRED, CardErrorCode::PIN_EXPIRED, "CKR_PIN_EXPIRED" },
        { CKR_PIN_LEN_RANGE, CardErrorCode::PIN_LEN_RANGE, "CKR_PIN_LEN_RANGE" },
        { CKR_TOKEN_NOT_PRESENT, CardErrorCode::CARD_REMOVED, "CKR_TOKEN_NOT_PRESENT" },
        { CKR_DEVICE_REMOVED, CardErrorCode::CARD_REMOVED, "CKR_DEVICE_REMOVED" },
        { CKR_SESSION_CLOSED, CardErrorCode::CARD_REMOVED, "CKR_SESSION_CLOSED" },
        { CKR_SESSION_HANDLE_INVALID, CardErrorCode::CARD_REMOVED, "CKR_SESSION_HANDLE_INVALID" },
        { CKR_SLOT_ID_INVALID, CardErrorCode::NO_CARD, "CKR_SLOT_ID_INVALID" },
        { CKR_TOKEN_NOT_RECOGNIZED, CardErrorCode::UNSUPPORTED_CARD, "CKR_TOKEN_NOT_RECOGNIZED" },
        { CKR_DEVICE_ERROR, CardErrorCode::COMMUNICATION_FAILED, "CKR_DEVICE_ERROR" },
        { CKR_DEVICE_MEMORY, CardErrorCode::COMMUNICATION_FAILED, "CKR_DEVICE_MEMORY" },
        { CKR_FUNCTION_CANCELED, CardErrorCode::CANCELLED, "CKR_FUNCTION_CANCELED" },
        { CKR_FUNCTION_FAILED, CardErrorCode::COMMUNICATION_FAILED, "CKR_FUNCTION_FAILED" },
        { CKR_GENERAL_ERROR, CardErrorCode::COMMUNICATION_FAILED, "CKR_GENERAL_ERROR" },
        { CKR_USER_PIN_NOT_INITIALIZED, CardErrorCode::UNSUPPORTED_CARD,
            "CKR_USER_PIN_NOT_INITIALIZED" },
        { CKR_KEY_FUNCTION_NOT_PERMITTED, CardErrorCode::UNSUPPORTED_CARD,
            "CKR_KEY_FUNCTION_NOT_PERMITTED" },
        { CKR_MECHANISM_INVALID, CardErrorCode::UNSUPPORTED_CARD, "CKR_MECHANISM_INVALID" },
        { CKR_USER_NOT_LOGGED_IN, CardErrorCode::CARD_RESET, "CKR_USER_NOT_LOGGED_IN" },
        { CKR_CRYPTOKI_NOT_INITIALIZED, CardErrorCode::MODULE_UNAVAILABLE,
            "CKR_CRYPTOKI_NOT_INITIALIZED" },
        { CKR_HOST_MEMORY, CardErrorCode::INTERNAL, "CKR_HOST_MEMORY" },
    };

    // The choke point: every PKCS#11 call's result passes here.
    void check(CK_RV rv, const char* call)
    {
        if (rv == CKR_OK) return;
        const auto* row = std::find_if(std::begin(CKR_TABLE), std::end(CKR_TABLE),
            [rv](const CkrRow& r) { return r.rv == rv; });
        char what[96];
        if (row != std::end(CKR_TABLE)) {
            std::snprintf(what, sizeof what, "%s: %s", call, row->name);
            throw CardError(row->code, what, static_cast<long>(rv));
        }
        std::snprintf(what, sizeof what, "%s: CKR 0x%lx", call, static_cast<unsigned long>(rv));
        throw CardError(CardErrorCode::INTERNAL, what, static_cast<long>(rv));
    }

} // namespace

CardErrorCode cardErrorForCkr(unsigned long rv) noexcept
{
    const auto* row = std::find_if(
        std::begin(CKR_TABLE), std::end(CKR_TABLE), [rv](const CkrRow& r) { return r.rv == rv; });
    return row == std::end(CKR_TABLE) ? CardErrorCode::INTERNAL : row->code;
}

namespace
{

    // PKCS#11 strings are blank-padded, not NUL-terminated.
    template<std::size_t N> std::string padded(const CK_UTF8CHAR (&text)[N])
    {
        std::string s(reinterpret_cast<const char*>(text), N);
        const auto end = s.find_last_not_of(" \0", std::string::npos, 2);
        return end == std::string::npos ? std::string() : s.substr(0, end + 1);
    }

} // namespace

struct Pkcs11Module::Impl {
    void* library = nullptr;
    CK_FUNCTION_LIST_PTR f = nullptr;
    bool initialized = false;
};

Pkcs11Module::Pkcs11Module(const std::filesystem::path& file)
    : impl_(std::make_unique<Impl>())
{
    if (file.empty())
        throw CardError(CardErrorCode::MODULE_UNAVAILABLE, "no PKCS#11 module configured");
    impl_->library = ::dlopen(file.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (impl_->library == nullptr)
        throw CardError(CardErrorCode::MODULE_UNAVAILABLE, "cannot load " + file.string());
    auto getList
        = reinterpret_cast<CK_C_GetFunctionList>(::dlsym(impl_->library, "C_GetFunctionList"));
    if (getList == nullptr || getList(&impl_->f) != CKR_OK || impl_->f == nullptr) {
        ::dlclose(impl_->library);
        throw CardError(
            CardErrorCode::MODULE_UNAVAILABLE, file.string() + " is not a PKCS#11 module");
    }
    CK_C_INITIALIZE_ARGS args {};
    args.flags = CKF_OS_LOCKING_OK;
    const CK_RV rv = impl_->f->C_Initialize(&args);
    if (rv != CKR_OK && rv != CKR_CRYPTOKI_ALREADY_INITIALIZED) {
        ::dlclose(impl_->library);
        check(rv, "C_Initialize");
    }
    impl_->initialized = rv == CKR_OK;
}

Pkcs11Module::~Pkcs11Module()
{
    // Finalizing makes the module let go of the card (OpenSC: disconnect_action); nothing it knew
    // about this card outlives the operation.
    if (impl_->initialized) impl_->f->C_Finalize(nullptr);
    ::dlclose(impl_->library);
}

std::vector<std::pair<unsigned long, std::string>> Pkcs11Module::tokenSlots()
{
    CK_ULONG count = 0;
    check(impl_->f->C_GetSlotList(CK_TRUE, nullptr, &count), "C_GetSlotList");
    std::vector<CK_SLOT_ID> ids(count);
    if (count > 0) check(impl_->f->C_GetSlotList(CK_TRUE, ids.data(), &count), "C_GetSlotList");
    ids.resize(count);
    std::vector<std::pair<unsigned long, std::string>> slots;
    for (const CK_SLOT_ID id : ids) {
        CK_SLOT_INFO info {};
        check(impl_->f->C_GetSlotInfo(id, &info), "C_GetSlotInfo");
        slots.emplace_back(id, padded(info.slotDescription) + " | " + padded(info.manufacturerID));
    }
    return slots;
}

unsigned long Pkcs11Module::slotForReader(const std::string& reader, bool singleTokenFallback)
{
    const auto slots = tokenSlots();
    for (const auto& [id, description] : slots) {
        if (description.find(reader) != std::string::npos) return id;
    }
    // Some modules name slots their own way (HiCOS: a number); one token can only be this one.
    if (singleTokenFallback && slots.size() == 1) return slots.front().first;
    throw CardError(CardErrorCode::NO_CARD, "no token in the reader");
}

TokenInfo Pkcs11Module::tokenInfo(unsigned long slot)
{
    CK_TOKEN_INFO info {};
    check(impl_->f->C_GetTokenInfo(slot, &info), "C_GetTokenInfo");
    TokenInfo t;
    t.label = padded(info.label);
    t.manufacturer = padded(info.manufacturerID);
    t.model = padded(info.model);
    t.serial
        = std::string(reinterpret_cast<const char*>(info.serialNumber), sizeof info.serialNumber);
    t.serial.erase(t.serial.find_last_not_of(" \0", std::string::npos, 2) + 1);
    t.pin.countLow = (info.flags & CKF_USER_PIN_COUNT_LOW) != 0;
    t.pin.finalTry = (info.flags & CKF_USER_PIN_FINAL_TRY) != 0;
    t.pin.locked = (info.flags & CKF_USER_PIN_LOCKED) != 0;
    t.minPinLength = info.ulMinPinLen;
    t.maxPinLength = info.ulMaxPinLen;
    t.protectedAuthenticationPath = (info.flags & CKF_PROTECTED_AUTHENTICATION_PATH) != 0;
    return t;
}

// ---------------------------------------------------------------- session

TokenSession::TokenSession(Pkcs11Module& module, unsigned long slot)
    : module_(module)
{
    CK_SESSION_HANDLE handle = CK_INVALID_HANDLE;
    check(module_.impl_->f->C_OpenSession(slot, CKF_SERIAL_SESSION, nullptr, nullptr, &handle),
        "C_OpenSession");
    session_ = handle;
}

TokenSession::~TokenSession()
{
    logout();
    module_.impl_->f->C_CloseSession(session_);
}

void TokenSession::login(Pin& pin)
{
    struct WipeAfter {
        Pin& pin;
        ~WipeAfter() { pin.wipe(); }
    } wipeAfter { pin };
    auto* f = module_.impl_->f;
    // A login left over from someone else must never stand in for this PIN.
    f->C_Logout(session_);
    CK_RV rv = f->C_Login(session_, CKU_USER, const_cast<CK_UTF8CHAR_PTR>(pin.data()),
        static_cast<CK_ULONG>(pin.size()));
    pin.wipe();
    check(rv, "C_Login");
    loggedIn_ = true;
}

void TokenSession::loginOnReaderPinPad()
{
    auto* f = module_.impl_->f;
    f->C_Logout(session_);
    check(f->C_Login(session_, CKU_USER, nullptr, 0), "C_Login");
    loggedIn_ = true;
}

void TokenSession::logout() noexcept
{
    if (!loggedIn_) return;
    module_.impl_->f->C_Logout(session_);
    loggedIn_ = false;
}

namespace
{

    std::vector<CK_OBJECT_HANDLE> findObjects(
        CK_FUNCTION_LIST_PTR f, CK_SESSION_HANDLE session, CK_ATTRIBUTE* tmpl, CK_ULONG count)
    {
        check(f->C_FindObjectsInit(session, tmpl, count), "C_FindObjectsInit");
        std::vector<CK_OBJECT_HANDLE> found;
        std::array<CK_OBJECT_HANDLE, 16> batch {};
        for (;;) {
            CK_ULONG n = 0;
            const CK_RV rv = f->C_FindObjects(session, batch.data(), batch.size(), &n);
            if (rv != CKR_OK) {
                f->C_FindObjectsFinal(session);
                check(rv, "C_FindObjects");
            }
            if (n == 0) break;
            found.insert(found.end(), batch.begin(), batch.begin() + static_cast<long>(n));
        }
        check(f->C_FindObjectsFinal(session), "C_FindObjectsFinal");
        return found;
    }

    Bytes attribute(CK_FUNCTION_LIST_PTR f, CK_SESSION_HANDLE session, CK_OBJECT_HANDLE object,
        CK_ATTRIBUTE_TYPE type)
    {
        CK_ATTRIBUTE a { type, nullptr, 0 };
        check(f->C_GetAttributeValue(session, object, &a, 1), "C_GetAttributeValue");
        if (a.ulValueLen == CK_UNAVAILABLE_INFORMATION) return {};
        Bytes value(a.ulValueLen);
        a.pValue = value.data();
        check(f->C_GetAttributeValue(session, object, &a, 1), "C_GetAttributeValue");
        value.resize(a.ulValueLen);
        return value;
    }

} // namespace

void TokenSession::findSigningKey()
{
    if (key_) return;
    auto* f = module_.impl_->f;
    CK_OBJECT_CLASS keyClass = CKO_PRIVATE_KEY;
    CK_BBOOL yes = CK_TRUE;
    CK_ATTRIBUTE keyTemplate[]
        = { { CKA_CLASS, &keyClass, sizeof keyClass }, { CKA_SIGN, &yes, sizeof yes } };
    const auto keys = findObjects(f, session_, keyTemplate, 2);
    CK_OBJECT_CLASS certClass = CKO_CERTIFICATE;
    CK_CERTIFICATE_TYPE x509 = CKC_X_509;
    CK_ATTRIBUTE certTemplate[] = { { CKA_CLASS, &certClass, sizeof certClass },
        { CKA_CERTIFICATE_TYPE, &x509, sizeof x509 } };
    const auto certs = findObjects(f, session_, certTemplate, 2);
    std::vector<std::pair<Bytes, CK_OBJECT_HANDLE>> certIds;
    for (const auto c : certs)
        certIds.emplace_back(attribute(f, session_, c, CKA_ID), c);

    const Bytes preferred { 'S', 'I', 'G', 'N' }; // HiCOS labels the signing pair's id "SIGN"
    std::optional<std::pair<CK_OBJECT_HANDLE, CK_OBJECT_HANDLE>> chosen;
    for (const auto k : keys) {
        const Bytes id = attribute(f, session_, k, CKA_ID);
        const auto cert = std::find_if(
            certIds.begin(), certIds.end(), [&](const auto& c) { return c.first == id; });
        if (cert == certIds.end()) continue;
        if (!chosen || id == preferred) chosen = std::make_pair(k, cert->second);
        if (id == preferred) break;
    }
    if (!chosen)
        throw CardError(CardErrorCode::UNEXPECTED_RESPONSE, "no signing key with a certificate");
    key_ = chosen->first;
    certificate_ = attribute(f, session_, chosen->second, CKA_VALUE);
    if (certificate_.empty())
        throw CardError(CardErrorCode::UNEXPECTED_RESPONSE, "empty certificate");
}

bool TokenSession::hasReadableCertificate()
{
    auto* f = module_.impl_->f;
    CK_OBJECT_CLASS certClass = CKO_CERTIFICATE;
    CK_CERTIFICATE_TYPE x509 = CKC_X_509;
    CK_ATTRIBUTE certTemplate[] = { { CKA_CLASS, &certClass, sizeof certClass },
        { CKA_CERTIFICATE_TYPE, &x509, sizeof x509 } };
    for (const auto c : findObjects(f, session_, certTemplate, 2)) {
        const Bytes der = attribute(f, session_, c, CKA_VALUE);
        const unsigned char* p = der.data();
        X509* parsed = d2i_X509(nullptr, &p, static_cast<long>(der.size()));
        const bool whole = parsed != nullptr && p == der.data() + der.size();
        X509_free(parsed);
        if (whole) return true;
    }
    return false;
}

Bytes TokenSession::signingCertificate()
{
    findSigningKey();
    return certificate_;
}

Bytes TokenSession::sign(std::string_view message)
{
    findSigningKey();
    auto* f = module_.impl_->f;
    CK_MECHANISM mechanism { CKM_SHA256_RSA_PKCS, nullptr, 0 };
    check(f->C_SignInit(session_, &mechanism, *key_), "C_SignInit");
    auto* data = reinterpret_cast<CK_BYTE_PTR>(const_cast<char*>(message.data()));
    CK_ULONG length = 0;
    check(f->C_Sign(session_, data, message.size(), nullptr, &length), "C_Sign");
    Bytes signature(length);
    check(f->C_Sign(session_, data, message.size(), signature.data(), &length), "C_Sign");
    signature.resize(length);
    return signature;
}

std::filesystem::path findOpenscModule()
{
    for (const char* candidate : { "/usr/lib/x86_64-linux-gnu/opensc-pkcs11.so",
             "/usr/lib/x86_64-linux-gnu/pkcs11/opensc-pkcs11.so",
             "/usr/lib/aarch64-linux-gnu/opensc-pkcs11.so",
             "/usr/lib/aarch64-linux-gnu/pkcs11/opensc-pkcs11.so", "/usr/lib/opensc-pkcs11.so",
             "/usr/lib64/opensc-pkcs11.so" }) {
        std::error_code ec;
        if (std::filesystem::exists(candidate, ec)) return candidate;
    }
    return {};
}

// ---------------------------------------------------------------- tries

PinTries pinTries(const TokenPinFlags& flags, int kioskFailures) noexcept
{
    if (flags.locked) return { 0, true };
    int fromToken = ASSUMED_PIN_TRIES;
    if (flags.finalTry) {
        fromToken = 1;
    } else if (flags.countLow) {
        fromToken = ASSUMED_PIN_TRIES - 1;
    }
    const int fromKiosk = ASSUMED_PIN_TRIES - std::max(0, kioskFailures);
    // A module that reports nothing (no COUNT_LOW, FINAL_TRY or LOCKED flag) after the kiosk's own
    // third consecutive failure: the card is almost certainly blocked; a fourth PIN must not go to
    // it. (If it was unblocked elsewhere, the kiosk's count ages out; see PinFailureCounter.)
    const bool tokenSilent = !flags.countLow && !flags.finalTry;
    if (tokenSilent && fromKiosk <= 0) return { 0, true };
    // Where the token does speak, the kiosk's count can only warn earlier, at worst as the final
    // try: the token knows its own tries (a card may allow more than three).
    return { std::max(1, std::min(fromToken, fromKiosk)), false };
}

namespace
{

    std::int64_t nowSeconds()
    {
        return std::chrono::duration_cast<std::chrono::seconds>(
            std::chrono::system_clock::now().time_since_epoch())
            .count();
    }

    // The per-kiosk HMAC key: read, or made (32 random bytes, 0600, never replaced once there).
    std::string counterSecret(const std::filesystem::path& file)
    {
        std::string secret(32, '\0');
        if (file.empty()) {
            if (RAND_bytes(reinterpret_cast<unsigned char*>(secret.data()), 32) != 1)
                throw CardError(CardErrorCode::INTERNAL, "no randomness for the PIN counter key");
            return secret;
        }
        const std::string keyFile = file.string() + ".key";
        int fd = ::open(keyFile.c_str(), O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
            if (RAND_bytes(reinterpret_cast<unsigned char*>(secret.data()), 32) != 1)
                throw CardError(CardErrorCode::INTERNAL, "no randomness for the PIN counter key");
            fd = ::open(keyFile.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
            if (fd >= 0) {
                const bool ok = ::write(fd, secret.data(), secret.size()) == 32 && ::fsync(fd) == 0;
                ::close(fd);
                if (!ok)
                    throw CardError(CardErrorCode::INTERNAL, "cannot write the PIN counter key");
                return secret;
            }
            fd = ::open(keyFile.c_str(), O_RDONLY | O_CLOEXEC); // made meanwhile by another
            if (fd < 0) throw CardError(CardErrorCode::INTERNAL, "cannot read the PIN counter key");
        }
        const bool ok = ::read(fd, secret.data(), secret.size()) == 32;
        ::close(fd);
        if (!ok) throw CardError(CardErrorCode::INTERNAL, "the PIN counter key is damaged");
        return secret;
    }

} // namespace

PinFailureCounter::PinFailureCounter(std::filesystem::path file)
    : file_(std::move(file))
    , secret_(counterSecret(file_))
{
    if (file_.empty()) return;
    std::ifstream in(file_);
    for (std::string line; std::getline(in, line);) {
        std::istringstream fields(line);
        Entry e;
        if (fields >> e.key >> e.count >> e.last && e.key.size() == 64 && e.count > 0)
            counts_.push_back(std::move(e));
    }
    dropAged();
}

void PinFailureCounter::dropAged()
{
    const std::int64_t oldest = nowSeconds() - MAX_AGE.count();
    std::erase_if(counts_, [oldest](const Entry& e) { return e.last < oldest; });
}

std::string PinFailureCounter::keyFor(std::string_view tokenSerial) const
{
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int size = 0;
    const std::string input = "shensu-pin-failures-v2:" + std::string(tokenSerial);
    if (HMAC(EVP_sha256(), secret_.data(), static_cast<int>(secret_.size()),
            reinterpret_cast<const unsigned char*>(input.data()), input.size(), digest, &size)
        == nullptr)
        throw CardError(CardErrorCode::INTERNAL, "HMAC failed");
    std::string hex;
    char byte[3];
    for (unsigned int i = 0; i < size; ++i) {
        std::snprintf(byte, sizeof byte, "%02x", digest[i]);
        hex += byte;
    }
    return hex;
}

int PinFailureCounter::failures(std::string_view tokenSerial) const
{
    if (tokenSerial.empty()) return 0;
    const std::string key = keyFor(tokenSerial);
    const std::int64_t oldest = nowSeconds() - MAX_AGE.count();
    for (const auto& e : counts_) {
        if (e.key == key && e.last >= oldest) return e.count;
    }
    return 0;
}

void PinFailureCounter::recordFailure(std::string_view tokenSerial)
{
    if (tokenSerial.empty()) return; // every serial-less card would share this one count
    dropAged();
    const std::string key = keyFor(tokenSerial);
    auto it = std::find_if(
        counts_.begin(), counts_.end(), [&](const Entry& e) { return e.key == key; });
    if (it == counts_.end()) {
        counts_.push_back({ key, 1, nowSeconds() });
    } else {
        ++it->count;
        it->last = nowSeconds();
    }
    save();
}

void PinFailureCounter::recordSuccess(std::string_view tokenSerial)
{
    if (tokenSerial.empty()) return;
    const std::string key = keyFor(tokenSerial);
    const auto before = counts_.size();
    std::erase_if(counts_, [&](const Entry& e) { return e.key == key; });
    if (counts_.size() != before) save();
}

void PinFailureCounter::save() const
{
    if (file_.empty()) return;
    std::ostringstream text;
    for (const auto& e : counts_)
        text << e.key << ' ' << e.count << ' ' << e.last << '\n';
    const std::string data = text.str();
    const auto tmp = file_.string() + ".tmp";
    const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) throw CardError(CardErrorCode::INTERNAL, "cannot write the PIN failure counter");
    const bool written = ::write(fd, data.data(), data.size()) == static_cast<ssize_t>(data.size())
        && ::fsync(fd) == 0;
    ::close(fd);
    if (!written || ::rename(tmp.c_str(), file_.c_str()) != 0)
        throw CardError(CardErrorCode::INTERNAL, "cannot write the PIN failure counter");
    // The rename itself must survive a power cut.
    const auto dir = file_.has_parent_path() ? file_.parent_path() : std::filesystem::path(".");
    const int dirFd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dirFd >= 0) {
        ::fsync(dirFd);
        ::close(dirFd);
    }
}

} // namespace shensu::cardio
