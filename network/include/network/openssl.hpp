// The one RAII layer over OpenSSL: owning pointers, and one choke point that turns the error queue
// into an exception.
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <openssl/bio.h>
#include <openssl/cms.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

namespace shensu::network
{

using Bytes = std::vector<unsigned char>;

class OpenSslError : public std::runtime_error
{
public:
    using std::runtime_error::runtime_error;
};

namespace openssl
{

    template<auto FreeFunction> struct Deleter {
        template<typename T> void operator()(T* p) const noexcept { FreeFunction(p); }
    };

    using BioPtr = std::unique_ptr<BIO, Deleter<BIO_free_all>>;
    using X509Ptr = std::unique_ptr<X509, Deleter<X509_free>>;
    using PkeyPtr = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY_free>>;
    using StorePtr = std::unique_ptr<X509_STORE, Deleter<X509_STORE_free>>;
    using CmsPtr = std::unique_ptr<CMS_ContentInfo, Deleter<CMS_ContentInfo_free>>;
    using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, Deleter<EVP_MD_CTX_free>>;

    // Empties the thread's error queue (stale entries from unrelated calls would otherwise end up
    // in our messages).
    void clearErrors() noexcept;
    // The thread's queued OpenSSL errors as one line, oldest first; empties the queue.
    std::string drainErrors();
    // The choke point: throws OpenSslError("<what>: <queued errors>") unless ok.
    void check(bool ok, const char* what);
    template<typename T> T* check(T* p, const char* what)
    {
        check(p != nullptr, what);
        return p;
    }

    X509Ptr readCertificate(const std::filesystem::path& pemFile);
    PkeyPtr readPrivateKey(const std::filesystem::path& pemFile);
    // A trust store holding exactly the certificates of one PEM file (the system store is never
    // consulted).
    StorePtr readTrustStore(const std::filesystem::path& pemFile);

    BioPtr memoryBio();
    BioPtr memoryBio(
        std::span<const unsigned char> data); // read-only view; data must outlive the BIO
    Bytes bioBytes(BIO* bio);

    Bytes sha256(std::span<const unsigned char> data);
    std::string hex(std::span<const unsigned char> data);
    Bytes randomBytes(std::size_t count);
    // The subject's first attribute of this NID (NID_commonName, NID_serialNumber, ...) as UTF-8,
    // or "" if it has none.
    std::string subjectAttribute(const X509* cert, int nid);
    // The subject's commonName, or "" if it has none.
    std::string commonName(const X509* cert);
    // A SHA-256 signature of data with key (ECDSA or RSA PKCS#1 v1.5, whichever the key is).
    Bytes signSha256(EVP_PKEY* key, std::span<const unsigned char> data);
    // True if signature is signSha256(data) under key's private half; leaves the error queue
    // empty. Throws OpenSslError only if the check cannot be set up.
    bool verifySha256(EVP_PKEY* key, std::span<const unsigned char> data,
        std::span<const unsigned char> signature);
    // The bytes of a string, for the calls above.
    inline std::span<const unsigned char> bytesOf(std::string_view s) noexcept
    {
        return { reinterpret_cast<const unsigned char*>(s.data()), s.size() };
    }

    // Standard base64 with padding, no line breaks.
    std::string base64(std::span<const unsigned char> data);
    // Strict standard base64 (no whitespace, length a multiple of 4, at most maxLength
    // characters); nullopt if malformed.
    std::optional<Bytes> unbase64(std::string_view text, std::size_t maxLength = 4096);

} // namespace openssl
} // namespace shensu::network
