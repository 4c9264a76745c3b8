// Background requests (fetch, XHR, images, polling) against navigations,
// from the headers browsers send.
#include <cppunit/extensions/HelperMacros.h>

#include "url/request_kind.h"

using namespace hdsso;

class RequestKindTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(RequestKindTest);
    CPPUNIT_TEST(testFetchMetadata);
    CPPUNIT_TEST(testWithoutFetchMetadata);
    CPPUNIT_TEST(testAcceptRanges);
    CPPUNIT_TEST_SUITE_END();

    static RequestHints hints(std::string_view mode, std::string_view dest, std::string_view xrw = {},
                              std::string_view accept = {}) {
        return RequestHints{mode, dest, xrw, accept};
    }

public:
    void testFetchMetadata() {
        // What Chromium and Firefox send for a link click, a fetch(), an image, an iframe.
        CPPUNIT_ASSERT(!is_background(hints("navigate", "document", {}, "text/html,application/xhtml+xml,*/*;q=0.8")));
        CPPUNIT_ASSERT(!is_background(hints("navigate", "iframe")));
        CPPUNIT_ASSERT(is_background(hints("cors", "empty", {}, "*/*")));
        CPPUNIT_ASSERT(is_background(hints("same-origin", "empty")));
        CPPUNIT_ASSERT(is_background(hints("no-cors", "image", {}, "image/avif,image/webp,*/*")));
        CPPUNIT_ASSERT(is_background(hints("navigate", "empty")));
        CPPUNIT_ASSERT(is_background(hints({}, "script")));
        // Fetch Metadata wins over the older hints.
        CPPUNIT_ASSERT(!is_background(hints("navigate", "document", "XMLHttpRequest", "application/json")));
    }

    void testWithoutFetchMetadata() {
        CPPUNIT_ASSERT(!is_background(hints({}, {})));  // curl, scripts: no Accept
        CPPUNIT_ASSERT(is_background(hints({}, {}, "XMLHttpRequest")));
        CPPUNIT_ASSERT(is_background(hints({}, {}, "xmlhttprequest", "text/html")));
        CPPUNIT_ASSERT(is_background(hints({}, {}, {}, "application/json")));
        CPPUNIT_ASSERT(!is_background(hints({}, {}, {}, "text/html")));
        CPPUNIT_ASSERT(!is_background(hints({}, {}, {}, "*/*")));
    }

    void testAcceptRanges() {
        CPPUNIT_ASSERT(!is_background(hints({}, {}, {}, "application/json, text/*;q=0.5")));
        CPPUNIT_ASSERT(!is_background(hints({}, {}, {}, " TEXT/HTML ;level=1")));
        CPPUNIT_ASSERT(is_background(hints({}, {}, {}, "text/html;q=0, application/json")));
        CPPUNIT_ASSERT(is_background(hints({}, {}, {}, "*/*;q=0.0")));
        CPPUNIT_ASSERT(!is_background(hints({}, {}, {}, "*/*;q=0.01")));
        CPPUNIT_ASSERT(is_background(hints({}, {}, {}, "text/plain")));
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(RequestKindTest);
