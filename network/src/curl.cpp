// libcurl RAII: global init once, easy handle, string lists, the setopt choke point.
#include "curl.hpp"

#include <mutex>

namespace shensu::network::curl
{

namespace
{
    void globalInit()
    {
        static std::once_flag once;
        std::call_once(once, [] {
            if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
                throw CurlError("curl_global_init failed");
        });
    }
} // namespace

void StringList::append(const std::string& entry)
{
    curl_slist* next = curl_slist_append(list_, entry.c_str());
    if (!next) throw CurlError("curl_slist_append: out of memory");
    list_ = next;
}

void EasyHandle::check(CURLcode code, const char* what)
{
    if (code != CURLE_OK) throw CurlError(std::string(what) + ": " + curl_easy_strerror(code));
}

EasyHandle::EasyHandle()
{
    globalInit();
    handle_ = curl_easy_init();
    if (!handle_) throw CurlError("curl_easy_init failed");
    set(CURLOPT_ERRORBUFFER, errorBuffer_);
}

std::string EasyHandle::errorText(CURLcode code) const
{
    return errorBuffer_[0] ? errorBuffer_ : curl_easy_strerror(code);
}

MultiHandle::MultiHandle()
{
    globalInit();
    handle_ = curl_multi_init();
    if (!handle_) throw CurlError("curl_multi_init failed");
}

PerformResult MultiHandle::perform(EasyHandle& easy, const std::atomic<bool>& cancel)
{
    auto check = [](CURLMcode rc, const char* what) {
        if (rc != CURLM_OK) throw CurlError(std::string(what) + ": " + curl_multi_strerror(rc));
    };
    easy.clearError();
    check(curl_multi_add_handle(handle_, easy.get()), "curl_multi_add_handle");
    PerformResult result;
    result.code = CURLE_ABORTED_BY_CALLBACK;
    bool finished = false;
    try {
        while (!cancel) {
            int running = 0;
            check(curl_multi_perform(handle_, &running), "curl_multi_perform");
            int queued = 0;
            while (CURLMsg* msg = curl_multi_info_read(handle_, &queued)) {
                if (msg->msg == CURLMSG_DONE && msg->easy_handle == easy.get()) {
                    result.code = msg->data.result;
                    finished = true;
                }
            }
            if (finished || running == 0) break;
            // Sleeps until there is socket activity, curl's own timeout, or wakeUp().
            check(curl_multi_poll(handle_, nullptr, 0, 1000, nullptr), "curl_multi_poll");
        }
    } catch (...) {
        curl_multi_remove_handle(handle_, easy.get());
        throw;
    }
    curl_multi_remove_handle(handle_, easy.get());
    if (finished) {
        result.error = result.code == CURLE_OK ? std::string() : easy.errorText(result.code);
        curl_easy_getinfo(easy.get(), CURLINFO_RESPONSE_CODE, &result.httpStatus);
    } else {
        result.error = "transfer abandoned: the forwarder is stopping";
    }
    return result;
}

} // namespace shensu::network::curl
