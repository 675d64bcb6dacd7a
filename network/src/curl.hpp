// The one RAII layer over libcurl: an easy handle and a header list; setopt failures go through one
// check.
#pragma once

#include <atomic>
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
    CURL* get() const noexcept { return handle_; }
    // curl's message for the last transfer (the error buffer, else the code's text).
    std::string errorText(CURLcode code) const;
    void clearError() noexcept { errorBuffer_[0] = '\0'; }

    static void check(CURLcode code, const char* what);

private:
    CURL* handle_;
    char errorBuffer_[CURL_ERROR_SIZE] {};
};

// A multi handle used to run one easy transfer at a time so that another thread can interrupt it at
// once (curl_multi_wakeup) instead of waiting for a timeout. Its connection cache keeps TLS
// connections between calls.
class MultiHandle
{
public:
    MultiHandle();
    ~MultiHandle() { curl_multi_cleanup(handle_); }
    MultiHandle(const MultiHandle&) = delete;
    MultiHandle& operator=(const MultiHandle&) = delete;

    // Runs the transfer to its end; if cancel becomes true, stops and reports
    // CURLE_ABORTED_BY_CALLBACK.
    PerformResult perform(EasyHandle& easy, const std::atomic<bool>& cancel);
    // Thread-safe: makes a perform() in progress look at cancel now.
    void wakeUp() noexcept { curl_multi_wakeup(handle_); }

private:
    CURLM* handle_;
};

} // namespace shensu::network::curl
