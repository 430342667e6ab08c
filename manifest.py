# Freeze wiznet_net into firmware: include("/path/to/this/checkout/manifest.py") from a
# board manifest, then rebuild. Frozen bytecode runs from flash: importing costs almost
# no RAM.
metadata(description="Resilient TCP client and Ethernet bring-up for WIZnet boards")

package("wiznet_net")
