// SPDX-License-Identifier: Apache-2.0
#include "pitfalls.h"
void pit_mesh(struct pit *p) { (void)p; }
