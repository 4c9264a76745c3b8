#!/bin/bash
# Regenerates the signed IdP metadata vectors of this folder with openssl and
# xmlsec1 (Debian's xmlsec1 package), never with this project's code. Run it
# here; the output is committed, so the tests need neither tool.
set -euo pipefail
cd "$(dirname "$0")"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for name in signer other idp; do
    [ -f "$name.key" ] || openssl req -x509 -newkey rsa:2048 -nodes -days 36500 -subj "/CN=metadata-$name.test" \
        -keyout "$name.key" -out "$name.crt" 2>/dev/null
done
idp_cert=$(grep -v -- ----- idp.crt | tr -d '\n')
metadata() {  # ID VALID-UNTIL CACHE-DURATION SIGNATURE-TEMPLATE
    cat <<XML
<?xml version="1.0" encoding="UTF-8"?>
<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" xmlns:ds="http://www.w3.org/2000/09/xmldsig#" ID="$1" entityID="https://idp.metadata.test/idp"$2$3>$4<md:IDPSSODescriptor ID="_inner" protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol"><md:KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>$idp_cert</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor><md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="https://idp.metadata.test/sso"/></md:IDPSSODescriptor></md:EntityDescriptor>
XML
}
template() {  # REFERENCE SIGNATURE-METHOD DIGEST-METHOD
    echo "<ds:Signature><ds:SignedInfo><ds:CanonicalizationMethod Algorithm=\"http://www.w3.org/2001/10/xml-exc-c14n#\"/><ds:SignatureMethod Algorithm=\"$2\"/><ds:Reference URI=\"$1\"><ds:Transforms><ds:Transform Algorithm=\"http://www.w3.org/2000/09/xmldsig#enveloped-signature\"/><ds:Transform Algorithm=\"http://www.w3.org/2001/10/xml-exc-c14n#\"/></ds:Transforms><ds:DigestMethod Algorithm=\"$3\"/><ds:DigestValue/></ds:Reference></ds:SignedInfo><ds:SignatureValue/></ds:Signature>"
}
sha256="http://www.w3.org/2001/04/xmldsig-more#rsa-sha256 http://www.w3.org/2001/04/xmlenc#sha256"
sha1="http://www.w3.org/2000/09/xmldsig#rsa-sha1 http://www.w3.org/2000/09/xmldsig#sha1"
sign() {  # OUT KEY ID VALID-UNTIL CACHE REFERENCE ALGS
    metadata "$3" "$4" "$5" "$(template "$6" $7)" >"$tmp/in.xml"
    xmlsec1 --sign --privkey-pem "$2.key" --id-attr:ID urn:oasis:names:tc:SAML:2.0:metadata:EntityDescriptor \
        --id-attr:ID urn:oasis:names:tc:SAML:2.0:metadata:IDPSSODescriptor \
        --output "$1" "$tmp/in.xml"
}
metadata _m1 "" "" "" >unsigned.xml
sign signed.xml signer _m1 "" ' cacheDuration="PT6H"' "#_m1" "$sha256"
sign signed-empty-uri.xml signer _m1 ' validUntil="2200-01-01T00:00:00Z"' "" "" "$sha256"
sign signed-by-other.xml other _m1 "" "" "#_m1" "$sha256"
sign signed-sha1.xml signer _m1 "" "" "#_m1" "$sha1"
sign signed-expired.xml signer _m1 ' validUntil="2001-01-01T00:00:00Z"' "" "#_m1" "$sha256"
# A signature over the IDPSSODescriptor only: the root around it is not covered.
sign signed-inner.xml signer _m1 "" "" "#_inner" "$sha256"
# The same signature, the SSO URL changed afterwards.
sed 's#https://idp.metadata.test/sso#https://evil.test/sso#' signed.xml >tampered.xml
rm -f signer.srl
echo "made: $(ls *.xml | tr '\n' ' ')"
