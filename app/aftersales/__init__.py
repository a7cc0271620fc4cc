"""After-sales (售后): a buyer's refund or return request per order line, answered by the
supplier, escalated to an operator, refunded through the order's payment."""
