// SPDX-License-Identifier: Apache-2.0
#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <string.h>

#include "dp_pkt.h"

#define VLAN_HLEN 4
#define IP_TOT_LEN 2		/* offsets in the IPv4 header */
#define IP_FRAG_OFF 6
#define IP_PROTO 9
#define TCP_DOFF (20 + 12)	/* data offset byte, after a 20-byte IPv4 */

size_t dp_pkt_bend(__u8 *buf, size_t len, const struct dp_bend *b)
{
	__u16 v;

	if (b->frag) {
		v = htons(b->frag & 0x1fff);
		memcpy(buf + ETH_HLEN + IP_FRAG_OFF, &v, 2);
	}
	if (b->proto)
		buf[ETH_HLEN + IP_PROTO] = b->proto;
	if (b->tot0)
		memset(buf + ETH_HLEN + IP_TOT_LEN, 0, 2);
	if (b->doff && len > ETH_HLEN + TCP_DOFF)
		buf[ETH_HLEN + TCP_DOFF] = (__u8)(b->doff << 4);
	if (b->vlan && len + VLAN_HLEN <= PKT_MAX) {
		/* the tag goes between the MACs and the ethertype */
		memmove(buf + 2 * ETH_ALEN + VLAN_HLEN, buf + 2 * ETH_ALEN,
			len - 2 * ETH_ALEN);
		v = htons(ETH_P_8021Q);
		memcpy(buf + 2 * ETH_ALEN, &v, 2);
		v = htons(b->vlan & 0x0fff);
		memcpy(buf + 2 * ETH_ALEN + 2, &v, 2);
		len += VLAN_HLEN;
	}
	return len;
}
