// The one RAII layer over libcurl: an easy handle and a header list; setopt failures go through one
// check.
#pragma once

#include <memory>
#include <stdexcept>
#include <string>

#include <curl/curl.h>

namespace shensu::network::curl
{

class CurlError : public std::runtime_error
{
public:
    using std::runtime_error::runtime_error;
};

// Owns a curl_slist; append() keeps it usable after every call.
class StringList
{
public:
    StringList() = default;
    ~StringList() { curl_slist_free_all(list_); }
    StringList(const StringList&) = delete;
    StringList& operator=(const StringList&) = delete;
    void append(const std::string& entry);
    curl_slist* get() const noexcept { return list_; }

private:
    curl_slist* list_ = nullptr;
};

struct PerformResult {
    CURLcode code = CURLE_OK;
    std::string error; // curl's own message (never request or response bodies)
    long httpStatus = 0;
};

// One easy handle, reused across requests so libcurl keeps the TLS connection alive.
class EasyHandle
{
public:
    EasyHandle();
    ~EasyHandle() { curl_easy_cleanup(handle_); }
    EasyHandle(const EasyHandle&) = delete;
    EasyHandle& operator=(const EasyHandle&) = delete;

    template<typename T> void set(CURLoption option, T value)
    {
        check(curl_easy_setopt(handle_, option, value), "curl_easy_setopt");
    }
    PerformResult perform();
    CURL* get() const noexcept { return handle_; }

    static void check(CURLcode code, const char* what);

private:
    CURL* handle_;
    char errorBuffer_[CURL_ERROR_SIZE] {};
};

} // namespace shensu::network::curl
