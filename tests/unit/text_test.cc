#include <cppunit/extensions/HelperMacros.h>

#include "core/text.h"

using namespace hdsso;

class TextTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(TextTest);
    CPPUNIT_TEST(testValidUtf8);
    CPPUNIT_TEST(testInvalidUtf8);
    CPPUNIT_TEST(testSafeTextRejectsControls);
    CPPUNIT_TEST_SUITE_END();

public:
    void testValidUtf8() {
        for (const char* s : {"", "plain", "Zo\xc3\xab", "\xe5\xb1\xb1\xe7\x94\xb0", "\xf0\x9f\x98\x80", "\xef\xbf\xbf"})
            CPPUNIT_ASSERT_MESSAGE(s, valid_utf8(s));
    }
    void testInvalidUtf8() {
        for (const char* s : {"\x80", "\xc0\xaf", "\xe0\x80\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\xc3",
                              "\xe5\xb1", "\xff", "\xf8\x88\x80\x80\x80"})
            CPPUNIT_ASSERT(!valid_utf8(s));
    }
    void testSafeTextRejectsControls() {
        CPPUNIT_ASSERT(safe_text("Jane Doe-O'Brien"));
        for (const char* s : {"a\r", "a\n", "a\t", "a\x7f", "a\xc2\x85", "a\xc2\x9f", "a\xe2\x80\xa8", "a\xe2\x80\xa9"})
            CPPUNIT_ASSERT(!safe_text(s));
        CPPUNIT_ASSERT(!safe_text(std::string("a\0b", 3)));
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(TextTest);
