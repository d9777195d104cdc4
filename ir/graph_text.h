/* Pieces of the graph's text form shared by its printer and parser. */
#ifndef TSL_IR_GRAPH_TEXT_H
#define TSL_IR_GRAPH_TEXT_H

#include "ir/text.h"
#include "ir/graph.h"

/* A name as the text writes it after '%' or '@': bare when it is made of word characters,
 * quoted otherwise. */
void tsl_print_name(tsl_text *buffer, const char *name);

/* Constant hash: from the data when there is data, else the one read from text. */
const uint8_t *tsl_value_hash(const tsl_value *value);

#endif
