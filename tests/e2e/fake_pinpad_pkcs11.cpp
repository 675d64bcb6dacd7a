// A MOCK PKCS#11 module for the kiosk's PIN-pad reader path (issue 3 point 7). The virtual reader
// (vpcd) cannot offer a keypad, so neither can OpenSC over it; this module stands in for a module
// (HiCOS, OpenSC) driving a real PIN-pad reader. It shows one token, in the slot named after the
// reader in $SHENSU_FAKE_P11_READER, flagged CKF_PROTECTED_AUTHENTICATION_PATH, with the
// certificate in $SHENSU_FAKE_P11_CERT (PEM). Each C_Login reads what "the person at the reader"
// does from the file $SHENSU_FAKE_P11_SCRIPT:
//   cancel          -> CKR_FUNCTION_CANCELED at once (cancel pressed on the reader)
//   wait MS         -> CKR_FUNCTION_CANCELED after MS milliseconds (nobody typed: the reader's
//                      timeout, which PKCS#11 reports like a cancel)
//   length          -> CKR_PIN_LEN_RANGE (too few or too many digits typed)
//   incorrect       -> CKR_PIN_INCORRECT (a wrong PIN: a try spent on the card)
// and appends a line to $SHENSU_FAKE_P11_LOG: "login pin=none" when called with no PIN as it must
// be on a keypad reader, "login pin=GIVEN" otherwise (never the PIN itself). Signing is refused.
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

#include <openssl/pem.h>
#include <openssl/x509.h>
#include <p11-kit/pkcs11.h>

namespace
{

constexpr CK_SLOT_ID SLOT = 1;
constexpr CK_SESSION_HANDLE SESSION = 7;
constexpr CK_OBJECT_HANDLE CERTIFICATE = 11;

std::string env(const char* name)
{
    const char* v = std::getenv(name);
    return v == nullptr ? std::string() : std::string(v);
}

void padded(CK_UTF8CHAR* field, std::size_t size, const std::string& text)
{
    std::memset(field, ' ', size);
    std::memcpy(field, text.data(), std::min(size, text.size()));
}

std::string certificateDer()
{
    FILE* file = std::fopen(env("SHENSU_FAKE_P11_CERT").c_str(), "r");
    if (file == nullptr) return {};
    X509* cert = PEM_read_X509(file, nullptr, nullptr, nullptr);
    std::fclose(file);
    if (cert == nullptr) return {};
    unsigned char* der = nullptr;
    const int n = i2d_X509(cert, &der);
    std::string out;
    if (n > 0) out.assign(reinterpret_cast<const char*>(der), static_cast<std::size_t>(n));
    OPENSSL_free(der);
    X509_free(cert);
    return out;
}

bool findActive = false;
bool found = false;

CK_RV initialize(CK_VOID_PTR)
{
    return CKR_OK;
}
CK_RV finalize(CK_VOID_PTR)
{
    return CKR_OK;
}
CK_RV getSlotList(CK_BBOOL, CK_SLOT_ID_PTR list, CK_ULONG_PTR count)
{
    if (list != nullptr) {
        if (*count < 1) return CKR_BUFFER_TOO_SMALL;
        list[0] = SLOT;
    }
    *count = 1;
    return CKR_OK;
}
CK_RV getSlotInfo(CK_SLOT_ID, CK_SLOT_INFO_PTR info)
{
    *info = {};
    padded(info->slotDescription, sizeof info->slotDescription, env("SHENSU_FAKE_P11_READER"));
    padded(info->manufacturerID, sizeof info->manufacturerID, "shensu test mock");
    info->flags = CKF_TOKEN_PRESENT | CKF_HW_SLOT;
    return CKR_OK;
}
CK_RV getTokenInfo(CK_SLOT_ID, CK_TOKEN_INFO_PTR info)
{
    *info = {};
    padded(info->label, sizeof info->label, "MOCK PIN-PAD TOKEN");
    padded(info->manufacturerID, sizeof info->manufacturerID, "shensu test mock");
    padded(info->model, sizeof info->model, "mock");
    padded(info->serialNumber, sizeof info->serialNumber, "MOCKPINPAD0001");
    info->flags = CKF_TOKEN_INITIALIZED | CKF_LOGIN_REQUIRED | CKF_PROTECTED_AUTHENTICATION_PATH;
    info->ulMinPinLen = 6;
    info->ulMaxPinLen = 8;
    return CKR_OK;
}
CK_RV openSession(CK_SLOT_ID, CK_FLAGS, CK_VOID_PTR, CK_NOTIFY, CK_SESSION_HANDLE_PTR session)
{
    *session = SESSION;
    return CKR_OK;
}
CK_RV closeSession(CK_SESSION_HANDLE)
{
    return CKR_OK;
}
CK_RV login(CK_SESSION_HANDLE, CK_USER_TYPE, CK_UTF8CHAR_PTR pin, CK_ULONG pinLength)
{
    std::ofstream(env("SHENSU_FAKE_P11_LOG"), std::ios::app)
        << "login pin=" << (pin == nullptr && pinLength == 0 ? "none" : "GIVEN") << '\n';
    std::ifstream script(env("SHENSU_FAKE_P11_SCRIPT"));
    std::string what;
    long ms = 0;
    script >> what >> ms;
    if (what == "cancel") return CKR_FUNCTION_CANCELED;
    if (what == "wait") {
        std::this_thread::sleep_for(std::chrono::milliseconds(ms));
        return CKR_FUNCTION_CANCELED;
    }
    if (what == "length") return CKR_PIN_LEN_RANGE;
    if (what == "incorrect") return CKR_PIN_INCORRECT;
    return CKR_GENERAL_ERROR;
}
CK_RV logout(CK_SESSION_HANDLE)
{
    return CKR_USER_NOT_LOGGED_IN;
}
CK_RV findObjectsInit(CK_SESSION_HANDLE, CK_ATTRIBUTE_PTR tmpl, CK_ULONG count)
{
    findActive = true;
    found = false;
    for (CK_ULONG i = 0; i < count; ++i) {
        if (tmpl[i].type == CKA_CLASS
            && *static_cast<CK_OBJECT_CLASS*>(tmpl[i].pValue) != CKO_CERTIFICATE)
            found = true; // nothing but the certificate: no other class is "found"
    }
    return CKR_OK;
}
CK_RV findObjects(CK_SESSION_HANDLE, CK_OBJECT_HANDLE_PTR objects, CK_ULONG max, CK_ULONG_PTR n)
{
    *n = 0;
    if (!findActive || found || max == 0) return CKR_OK;
    objects[0] = CERTIFICATE;
    *n = 1;
    found = true;
    return CKR_OK;
}
CK_RV findObjectsFinal(CK_SESSION_HANDLE)
{
    findActive = false;
    return CKR_OK;
}
CK_RV getAttributeValue(
    CK_SESSION_HANDLE, CK_OBJECT_HANDLE object, CK_ATTRIBUTE_PTR attrs, CK_ULONG count)
{
    if (object != CERTIFICATE) return CKR_OBJECT_HANDLE_INVALID;
    for (CK_ULONG i = 0; i < count; ++i) {
        std::string value;
        if (attrs[i].type == CKA_VALUE) {
            value = certificateDer();
        } else if (attrs[i].type == CKA_ID) {
            value = "\x01";
        } else {
            attrs[i].ulValueLen = CK_UNAVAILABLE_INFORMATION;
            continue;
        }
        if (attrs[i].pValue != nullptr) {
            if (attrs[i].ulValueLen < value.size()) return CKR_BUFFER_TOO_SMALL;
            std::memcpy(attrs[i].pValue, value.data(), value.size());
        }
        attrs[i].ulValueLen = value.size();
    }
    return CKR_OK;
}
CK_RV signInit(CK_SESSION_HANDLE, CK_MECHANISM_PTR, CK_OBJECT_HANDLE)
{
    return CKR_USER_NOT_LOGGED_IN;
}
CK_RV sign(CK_SESSION_HANDLE, CK_BYTE_PTR, CK_ULONG, CK_BYTE_PTR, CK_ULONG_PTR)
{
    return CKR_USER_NOT_LOGGED_IN;
}

CK_FUNCTION_LIST functions = [] {
    CK_FUNCTION_LIST f {};
    f.version = { 2, 40 };
    f.C_Initialize = initialize;
    f.C_Finalize = finalize;
    f.C_GetSlotList = getSlotList;
    f.C_GetSlotInfo = getSlotInfo;
    f.C_GetTokenInfo = getTokenInfo;
    f.C_OpenSession = openSession;
    f.C_CloseSession = closeSession;
    f.C_Login = login;
    f.C_Logout = logout;
    f.C_FindObjectsInit = findObjectsInit;
    f.C_FindObjects = findObjects;
    f.C_FindObjectsFinal = findObjectsFinal;
    f.C_GetAttributeValue = getAttributeValue;
    f.C_SignInit = signInit;
    f.C_Sign = sign;
    return f;
}();

} // namespace

extern "C" __attribute__((visibility("default"))) CK_RV C_GetFunctionList(
    CK_FUNCTION_LIST_PTR_PTR list)
{
    *list = &functions;
    return CKR_OK;
}
