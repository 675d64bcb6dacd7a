// OpenSSL RAII helpers and the error-queue choke point.
#include <network/openssl.hpp>

#include <climits>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rand.h>

namespace shensu::network::openssl
{

void clearErrors() noexcept
{
    ERR_clear_error();
}

std::string drainErrors()
{
    std::string out;
    char buf[256];
    while (const unsigned long e = ERR_get_error()) {
        ERR_error_string_n(e, buf, sizeof buf);
        if (!out.empty()) out += "; ";
        out += buf;
    }
    return out.empty() ? "no OpenSSL error queued" : out;
}

void check(bool ok, const char* what)
{
    if (!ok) throw OpenSslError(std::string(what) + ": " + drainErrors());
}

namespace
{
    BioPtr openFile(const std::filesystem::path& file)
    {
        clearErrors();
        return BioPtr(check(BIO_new_file(file.c_str(), "rb"), "cannot open PEM file"));
    }
} // namespace

X509Ptr readCertificate(const std::filesystem::path& pemFile)
{
    auto bio = openFile(pemFile);
    return X509Ptr(
        check(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr), "cannot read certificate"));
}

PkeyPtr readPrivateKey(const std::filesystem::path& pemFile)
{
    auto bio = openFile(pemFile);
    return PkeyPtr(check(
        PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr), "cannot read private key"));
}

StorePtr readTrustStore(const std::filesystem::path& pemFile)
{
    clearErrors();
    StorePtr store(check(X509_STORE_new(), "X509_STORE_new"));
    check(X509_STORE_load_file(store.get(), pemFile.c_str()) == 1, "cannot load trust anchors");
    return store;
}

BioPtr memoryBio()
{
    return BioPtr(check(BIO_new(BIO_s_mem()), "BIO_new"));
}

BioPtr memoryBio(std::span<const unsigned char> data)
{
    if (data.size() > static_cast<std::size_t>(INT_MAX)) throw OpenSslError("buffer too large");
    return BioPtr(
        check(BIO_new_mem_buf(data.data(), static_cast<int>(data.size())), "BIO_new_mem_buf"));
}

Bytes bioBytes(BIO* bio)
{
    char* data = nullptr;
    const long len = BIO_get_mem_data(bio, &data);
    check(len >= 0, "BIO_get_mem_data");
    const auto* begin = reinterpret_cast<const unsigned char*>(data);
    return Bytes(begin, begin + len);
}

Bytes sha256(std::span<const unsigned char> data)
{
    Bytes out(32);
    unsigned int len = 0;
    check(EVP_Digest(data.data(), data.size(), out.data(), &len, EVP_sha256(), nullptr) == 1,
        "EVP_Digest");
    return out;
}

std::string hex(std::span<const unsigned char> data)
{
    static constexpr char DIGITS[] = "0123456789abcdef";
    std::string out;
    out.reserve(data.size() * 2);
    for (const unsigned char b : data) {
        out += DIGITS[b >> 4];
        out += DIGITS[b & 0x0f];
    }
    return out;
}

Bytes randomBytes(std::size_t count)
{
    Bytes out(count);
    if (count > static_cast<std::size_t>(INT_MAX)) throw OpenSslError("too many random bytes");
    check(RAND_bytes(out.data(), static_cast<int>(count)) == 1, "RAND_bytes");
    return out;
}

std::string subjectAttribute(const X509* cert, int nid)
{
    const X509_NAME* name = X509_get_subject_name(cert);
    const int index = X509_NAME_get_index_by_NID(name, nid, -1);
    if (index < 0) return {};
    const ASN1_STRING* data = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, index));
    unsigned char* utf8 = nullptr;
    const int len = ASN1_STRING_to_UTF8(&utf8, data);
    if (len < 0) return {};
    std::string out(reinterpret_cast<char*>(utf8), static_cast<std::size_t>(len));
    OPENSSL_free(utf8);
    return out;
}

std::string commonName(const X509* cert)
{
    return subjectAttribute(cert, NID_commonName);
}

Bytes signSha256(EVP_PKEY* key, std::span<const unsigned char> data)
{
    MdCtxPtr ctx(check(EVP_MD_CTX_new(), "EVP_MD_CTX_new"));
    check(EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key) == 1,
        "EVP_DigestSignInit");
    std::size_t len = 0;
    check(
        EVP_DigestSign(ctx.get(), nullptr, &len, data.data(), data.size()) == 1, "EVP_DigestSign");
    Bytes signature(len);
    check(EVP_DigestSign(ctx.get(), signature.data(), &len, data.data(), data.size()) == 1,
        "EVP_DigestSign");
    signature.resize(len);
    return signature;
}

bool verifySha256(
    EVP_PKEY* key, std::span<const unsigned char> data, std::span<const unsigned char> signature)
{
    clearErrors();
    MdCtxPtr ctx(check(EVP_MD_CTX_new(), "EVP_MD_CTX_new"));
    check(EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key) == 1,
        "EVP_DigestVerifyInit");
    const bool valid
        = EVP_DigestVerify(ctx.get(), signature.data(), signature.size(), data.data(), data.size())
        == 1;
    clearErrors();
    return valid;
}

std::string base64(std::span<const unsigned char> data)
{
    std::string out(4 * ((data.size() + 2) / 3) + 1, '\0');
    const int len = EVP_EncodeBlock(
        reinterpret_cast<unsigned char*>(out.data()), data.data(), static_cast<int>(data.size()));
    out.resize(static_cast<std::size_t>(len));
    return out;
}

std::optional<Bytes> unbase64(std::string_view text, std::size_t maxLength)
{
    if (text.empty() || text.size() % 4 != 0 || text.size() > maxLength) return std::nullopt;
    Bytes out(text.size() / 4 * 3);
    const int len = EVP_DecodeBlock(out.data(), reinterpret_cast<const unsigned char*>(text.data()),
        static_cast<int>(text.size()));
    if (len < 0) return std::nullopt;
    std::size_t size = static_cast<std::size_t>(len);
    if (text.ends_with("=="))
        size -= 2;
    else if (text.ends_with('='))
        size -= 1;
    out.resize(size);
    return out;
}

} // namespace shensu::network::openssl
